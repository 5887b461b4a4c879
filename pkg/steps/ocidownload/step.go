package ocidownload

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
	"github.com/drayhq/dray/pkg/steps/internal/ociremote"
)

// Name is the step's name, the value of uses.
const Name = "oci-download"

// DefaultMaxBytes is the largest layer when Options.MaxBytes is 0: 100 MiB.
const DefaultMaxBytes = 100 << 20

// Reasons of the step's results.
const (
	// ReasonFileExists: outPath exists and allowOverwrite is not set (Failed, terminal).
	ReasonFileExists = "FileExists"
	// ReasonLayerNotFound: the image has no layer of mediaType, or none at all (terminal).
	ReasonLayerNotFound = "LayerNotFound"
	// ReasonLayerTooLarge: the layer is over the limit (terminal when declared so, else
	// Errored while streaming).
	ReasonLayerTooLarge = "LayerTooLarge"
)

// Options are the operator's settings. The zero value is the defaults.
type Options struct {
	// Secrets holds the projects' registry credentials; nil means anonymous access.
	Secrets *secret.Store
	// RootCAs verify registries unless a step sets insecureSkipTLSVerify; nil means the
	// system's.
	RootCAs *x509.CertPool
	// Guard, when set, holds a project's registry requests to what it allows: the http
	// executor passes its host allowlist (httpclient.ClientOptions.Guard), so these steps reach
	// only the hosts the http step may. nil lets every request through.
	Guard func(project string, base *http.Transport) http.RoundTripper
	// MaxBytes is the largest layer downloaded. 0 means DefaultMaxBytes (100 MiB).
	MaxBytes int64
}

// Step is the oci-download step. It is safe for concurrent use.
type Step struct {
	opts Options
}

var _ steps.Step = (*Step)(nil)

// New returns the oci-download step with opts; the zero Options are the defaults.
func New(opts Options) *Step {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Step{opts: opts}
}

func (s *Step) remote() ociremote.Options {
	return ociremote.Options{Secrets: s.opts.Secrets, RootCAs: s.opts.RootCAs, Guard: s.opts.Guard}
}

// Info names the step and says it runs on the http executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "http"} }

// Run writes the selected layer of config.imageRef to config.outPath, atomically.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	ref, err := ociremote.Parse("config.imageRef", cfg.ImageRef)
	if err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	name, err := files.Local(sc, Name, "config.outPath", cfg.OutPath)
	if err != nil {
		return steps.Result{}, err
	}
	if name == "." {
		return steps.Result{}, files.Invalid(sc, Name, errors.New("config.outPath: names the workspace itself"))
	}
	prefix := fmt.Sprintf("step %q (%s): download %s to %s", sc.Alias, Name, cfg.ImageRef, cfg.OutPath)
	fail := func(err error) (steps.Result, error) {
		if ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		if refused := httpclient.Refused(err); refused != nil {
			return steps.Result{}, fmt.Errorf("%s: %w", prefix, refused)
		}
		if files.IsEscape(err) {
			return steps.Result{}, files.Escape(sc, Name, "config.outPath", cfg.OutPath)
		}
		return steps.Result{}, fmt.Errorf("%s: %w", prefix, err)
	}

	// Checked before the download so that nothing is fetched in vain; placing the file
	// checks again.
	if err := checkTarget(sc, name, cfg.AllowOverwrite); err != nil {
		return fail(err)
	}
	ropts, err := s.remote().Remote(ctx, sc.Project, ref, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return fail(err)
	}
	layer, err := s.layer(ref, cfg.MediaType, ropts)
	if err != nil {
		return fail(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return fail(fmt.Errorf("fetch the layer: %w", err))
	}
	defer rc.Close()
	n, err := s.write(sc, name, rc, cfg.AllowOverwrite)
	if err != nil {
		return fail(err)
	}
	return steps.Result{Message: fmt.Sprintf("downloaded %d bytes to %s", n, cfg.OutPath)}, nil
}

// layer fetches ref's manifest and returns the layer of mediaType (the first layer when
// empty), after checking its declared size.
func (s *Step) layer(ref ociremote.Ref, mediaType string, ropts []remote.Option) (cr.Layer, error) {
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, fmt.Errorf("fetch the manifest: %w", err)
	}
	img, err := desc.Image() // an index resolves to the linux/amd64 image
	if err != nil {
		return nil, fmt.Errorf("read the image: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("read the manifest: %w", err)
	}
	i := -1
	for j, l := range m.Layers {
		if mediaType == "" || string(l.MediaType) == mediaType {
			i = j
			break
		}
	}
	switch {
	case len(m.Layers) == 0:
		return nil, steps.Terminal(steps.Reasoned(ReasonLayerNotFound, errors.New("the image has no layers")))
	case i < 0:
		return nil, steps.Terminal(steps.Reasoned(ReasonLayerNotFound, fmt.Errorf("the image has no layer of media type %q", mediaType)))
	case m.Layers[i].Size > s.opts.MaxBytes:
		return nil, steps.Terminal(steps.Reasoned(ReasonLayerTooLarge, fmt.Errorf(
			"the layer declares %d bytes, more than the limit of %d", m.Layers[i].Size, s.opts.MaxBytes)))
	}
	layer, err := img.LayerByDigest(m.Layers[i].Digest)
	if err != nil {
		return nil, fmt.Errorf("read layer %s: %w", m.Layers[i].Digest, err)
	}
	return layer, nil
}

// checkTarget fails when name exists and may not be replaced, or is a directory.
func checkTarget(sc *steps.Context, name string, overwrite bool) error {
	fi, err := sc.Dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("inspect config.outPath: %w", err)
	case fi.IsDir():
		return steps.Terminal(steps.Reasoned(ReasonFileExists, errors.New("config.outPath is a directory")))
	case !overwrite:
		return errExists
	}
	return nil
}

var errExists = steps.Terminal(steps.Reasoned(ReasonFileExists, errors.New("config.outPath exists; set allowOverwrite to replace it")))

// write streams body into a temporary file beside name and moves it into place: with
// overwrite by rename, else by a hard link, which fails if name exists. It leaves either the
// complete file at name or nothing.
func (s *Step) write(sc *steps.Context, name string, body io.Reader, overwrite bool) (int64, error) {
	if err := sc.Dir.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return 0, fmt.Errorf("create the parent directory: %w", err)
	}
	tmp := files.TempName(name)
	f, err := sc.Dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fmt.Errorf("create a temporary file: %w", err)
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
	case err != nil:
		return 0, fmt.Errorf("read the layer: %w", err)
	case n > s.opts.MaxBytes:
		return 0, steps.Reasoned(ReasonLayerTooLarge, fmt.Errorf("the layer has more than the limit of %d bytes", s.opts.MaxBytes))
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	if overwrite {
		if err := sc.Dir.Rename(tmp, name); err != nil {
			return 0, fmt.Errorf("move the file into place: %w", err)
		}
		placed = true
		return n, nil
	}
	if err := sc.Dir.Link(tmp, name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, errExists
		}
		return 0, fmt.Errorf("move the file into place: %w", err)
	}
	return n, nil // the deferred Remove drops the temporary name
}
