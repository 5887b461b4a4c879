package httpdownload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
)

// Name is the step's name, the value of uses.
const Name = "http-download"

// DefaultMaxBytes is the largest download when Options.MaxBytes is 0: 100 MiB.
const DefaultMaxBytes = 100 << 20

// Reasons of the step's results besides the client's (httpclient.ReasonHostNotAllowed, …).
const (
	// ReasonFileExists: outPath exists and allowOverwrite is not set (Failed, terminal).
	ReasonFileExists = "FileExists"
	// ReasonHTTPStatus: the server answered with a status other than 2xx (Failed, retried).
	ReasonHTTPStatus = "HTTPStatus"
)

// Options are the operator's limits on the step. The zero value is the defaults.
type Options struct {
	httpclient.ClientOptions
	// MaxBytes is the largest file downloaded. 0 means DefaultMaxBytes (100 MiB).
	MaxBytes int64
}

// Step is the http-download step. It is safe for concurrent use.
type Step struct {
	opts Options
}

var _ steps.Step = (*Step)(nil)

// New returns the http-download step with the operator's limits opts; the zero Options are
// the defaults.
func New(opts Options) *Step {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Step{opts: opts}
}

// Info names the step and says it runs on the http executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "http"} }

// Run downloads config.url to config.outPath, atomically. A bad config, an outPath that
// leaves the workspace or exists (without allowOverwrite), a declared size over the limit, a
// host outside the allowlist and a link-local address are terminal (Failed); a non-2xx
// response is Failed and retried up to the error threshold; a failed request, a timeout and a
// body that grows over the limit are Errored.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	invalid := func(err error) error {
		return steps.Terminal(fmt.Errorf("step %q (%s): %w: %w", sc.Alias, Name, steps.ErrInvalidConfig, err))
	}
	timeout, err := httpclient.Duration("config.timeout", cfg.Timeout, DefaultTimeout)
	if err != nil {
		return steps.Result{}, invalid(err)
	}
	name := filepath.Clean(filepath.FromSlash(cfg.OutPath))
	if !filepath.IsLocal(name) {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): config.outPath: %w: %q", sc.Alias, Name, steps.ErrPathEscape, cfg.OutPath))
	}
	req := httpclient.Request{
		Project: sc.Project, Method: "GET", URL: cfg.URL, Headers: cfg.Headers,
		QueryParams: cfg.QueryParams, Timeout: timeout, InsecureSkipTLSVerify: cfg.InsecureSkipTLSVerify,
	}
	prefix := fmt.Sprintf("step %q (%s): download %s to %s", sc.Alias, Name, httpclient.RedactURL(cfg.URL), cfg.OutPath)
	fail := func(err error) (steps.Result, error) {
		if ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		return steps.Result{}, req.Redact(fmt.Errorf("%s: %w", prefix, err))
	}

	// Checked before the download so that nothing is fetched in vain; placing the file
	// checks again.
	if err := s.checkTarget(sc, name, cfg.AllowOverwrite); err != nil {
		return fail(err)
	}
	resp, cancel, err := s.opts.Do(ctx, req)
	if err != nil {
		return fail(err)
	}
	defer cancel()
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Failed without a terminal error: retried up to retry.errorThreshold (docs/steps/http-download.md).
		msg := req.Redact(fmt.Errorf("%s: HTTP (%d) response is not 2xx", prefix, resp.StatusCode)).Error()
		return steps.Result{Status: v1.StepFailed, Message: msg}, nil
	}
	if resp.ContentLength > s.opts.MaxBytes {
		return fail(steps.Terminal(steps.Reasoned(httpclient.ReasonResponseTooLarge, fmt.Errorf(
			"the response declares %d bytes, more than the limit of %s (the http executor's --http-max-download-size)",
			resp.ContentLength, httpclient.FormatBytes(s.opts.MaxBytes)))))
	}
	n, err := s.write(sc, name, resp.Body, cfg.AllowOverwrite)
	if err != nil {
		return fail(err)
	}
	return steps.Result{Message: fmt.Sprintf("downloaded %d bytes to %s", n, cfg.OutPath)}, nil
}

// checkTarget fails when name exists and may not be replaced, or is a directory.
func (s *Step) checkTarget(sc *steps.Context, name string, overwrite bool) error {
	fi, err := sc.Dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fileError("inspect", err)
	case fi.IsDir():
		return steps.Terminal(steps.Reasoned(ReasonFileExists, errors.New("config.outPath is a directory")))
	case !overwrite:
		return steps.Terminal(steps.Reasoned(ReasonFileExists, errors.New("config.outPath exists; set allowOverwrite to replace it")))
	}
	return nil
}

// write streams body into a temporary file beside name and moves it into place: with
// overwrite by rename, else by a hard link, which fails if name exists. It leaves either the
// complete file at name or nothing (the temporary file is removed).
func (s *Step) write(sc *steps.Context, name string, body io.Reader, overwrite bool) (int64, error) {
	dir := filepath.Dir(name)
	if err := sc.Dir.MkdirAll(dir, 0o755); err != nil {
		return 0, fileError("create the parent directory", err)
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := filepath.Join(dir, "."+filepath.Base(name)+".download-"+hex.EncodeToString(suffix[:]))
	f, err := sc.Dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fileError("create a temporary file", err)
	}
	placed := false
	defer func() {
		f.Close()
		if !placed {
			sc.Dir.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, io.LimitReader(body, s.opts.MaxBytes+1))
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return 0, steps.Reasoned(httpclient.ReasonTimeout, fmt.Errorf("read the response: the download did not finish within its timeout: %w", err))
	case err != nil:
		return 0, fmt.Errorf("read the response: %w", err)
	case n > s.opts.MaxBytes:
		return 0, steps.Reasoned(httpclient.ReasonResponseTooLarge, fmt.Errorf("%w: more than the limit of %s (the http executor's --http-max-download-size)",
			httpclient.ErrResponseTooLarge, httpclient.FormatBytes(s.opts.MaxBytes)))
	}
	if err := f.Sync(); err != nil {
		return 0, fileError("write", err)
	}
	if err := f.Close(); err != nil {
		return 0, fileError("write", err)
	}
	if overwrite {
		if err := sc.Dir.Rename(tmp, name); err != nil {
			return 0, fileError("move the file into place", err)
		}
		placed = true
		return n, nil
	}
	if err := sc.Dir.Link(tmp, name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, steps.Terminal(steps.Reasoned(ReasonFileExists, errors.New("config.outPath exists; set allowOverwrite to replace it")))
		}
		return 0, fileError("move the file into place", err)
	}
	return n, nil // the deferred Remove drops the temporary name
}

// fileError classifies an error of sc.Dir: a path that resolves outside the workspace
// (through a symlink) is terminal and wraps steps.ErrPathEscape; anything else is retryable.
// The message names no path: the prefix of Run names outPath.
func fileError(op string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent" ||
		errors.As(err, &le) && le.Err.Error() == "path escapes from parent" {
		// os.Root does not export its error; its text is stable.
		return steps.Terminal(fmt.Errorf("config.outPath: %w", steps.ErrPathEscape))
	}
	return fmt.Errorf("%s: %w", op, err)
}
