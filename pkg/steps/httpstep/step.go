package httpstep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
)

// Name is the step's name, the value of uses.
const Name = "http"

// DefaultMaxResponseBytes is the largest response body the step reads when
// Options.MaxResponseBytes is 0: 2 MiB.
const DefaultMaxResponseBytes = 2 << 20

// MaxBodyFileBytes is the largest file bodyFromFile sends: 2 MiB.
const MaxBodyFileBytes = 2 << 20

// Reasons of the step's results besides the client's (ReasonHostNotAllowed, …).
const (
	// ReasonFailureCriteriaMet: failureExpression was true (Failed).
	ReasonFailureCriteriaMet = "FailureCriteriaMet"
	// ReasonExpression: an expression failed or did not yield a boolean (Errored).
	ReasonExpression = "ExpressionFailed"
)

// Options are the operator's limits on the step. The zero value is the defaults.
type Options struct {
	ClientOptions
	// MaxResponseBytes is the largest response body read; a larger one errors the step.
	// 0 means DefaultMaxResponseBytes (2 MiB).
	MaxResponseBytes int64
}

// Step is the http step. It is safe for concurrent use.
type Step struct {
	opts Options
	eval *expr.Evaluator
}

var _ steps.Step = (*Step)(nil)

// New returns the http step with the operator's limits opts; the zero Options are the
// defaults. Expressions are compiled once and cached for the life of the step.
func New(opts Options) *Step {
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return &Step{opts: opts, eval: expr.New()}
}

// Info names the step, says it runs on the http executor and never changes the workspace.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "http", ReadOnly: true} }

// Run sends the request and decides the outcome from the response (docs/steps/http.md):
// failureExpression true ⇒ Failed (terminal); else successExpression true ⇒ Succeeded with
// the outputs; with neither expression set, a 2xx ⇒ Succeeded and any other status ⇒
// Running; otherwise Running, asked again after pollInterval. A bad config, a host outside
// the project's allowlist and a link-local address are terminal (Failed); a failed request, a
// timeout, too many redirects, a body over the size limit and an expression that errs or does
// not yield a boolean are Errored. Messages name the method and the URL's scheme and host
// only, never header or query values.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): %w: %w", sc.Alias, Name, steps.ErrInvalidConfig, err))
	}
	timeout, _ := httpclient.Duration("", cfg.Timeout, DefaultTimeout)
	poll, _ := httpclient.Duration("", cfg.PollInterval, DefaultPollInterval)
	req := Request{
		Project: sc.Project, Method: cfg.Method, URL: cfg.URL, Headers: cfg.Headers,
		QueryParams: cfg.QueryParams, Timeout: timeout,
		InsecureSkipTLSVerify: cfg.InsecureSkipTLSVerify, Proxy: cfg.Proxy,
	}
	prefix := fmt.Sprintf("step %q (%s): %s %s", sc.Alias, Name, cfg.Method, RedactURL(cfg.URL))
	fail := func(err error) (steps.Result, error) {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		return steps.Result{}, req.Redact(fmt.Errorf("%s: %w", prefix, err))
	}

	switch {
	case cfg.Body != "":
		req.Body = strings.NewReader(cfg.Body)
	case cfg.BodyFromFile != "":
		b, err := readBodyFile(sc, cfg.BodyFromFile)
		if err != nil {
			return fail(err)
		}
		req.Body = bytes.NewReader(b)
	}

	resp, cancel, err := s.opts.Do(ctx, req)
	if err != nil {
		return fail(err)
	}
	defer cancel()
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, s.opts.MaxResponseBytes)
	if err != nil {
		if ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		if errors.Is(err, ErrResponseTooLarge) {
			return fail(steps.Reasoned(ReasonResponseTooLarge, fmt.Errorf("HTTP (%d): %w (the http executor's --http-max-response-size)", resp.StatusCode, err)))
		}
		return fail(httpclient.Classify(err, timeout))
	}
	sc.Log.Debug("http response", "method", cfg.Method, "url", RedactURL(cfg.URL), "status", resp.StatusCode, "bytes", len(body))
	env, err := responseEnv(resp, body, cfg.ResponseContentType)
	if err != nil {
		return fail(fmt.Errorf("HTTP (%d): %w", resp.StatusCode, err))
	}
	res, err := s.decide(&cfg, env, resp.StatusCode, poll)
	if err != nil {
		return fail(err)
	}
	return res, nil
}

// decide applies the outcome rules of Run to the response in env.
func (s *Step) decide(cfg *Config, env map[string]any, status int, poll time.Duration) (steps.Result, error) {
	if cfg.FailureExpression != "" {
		failed, err := s.boolean("config.failureExpression", cfg.FailureExpression, env)
		if err != nil {
			return steps.Result{}, err
		}
		if failed {
			msg := fmt.Sprintf("HTTP (%d) response met failure criteria", status)
			if cfg.ErrorExpression != "" {
				v, err := s.eval.Bare(cfg.ErrorExpression, env)
				if err != nil {
					return steps.Result{}, steps.Reasoned(ReasonExpression, fmt.Errorf("config.errorExpression: %w", err))
				}
				msg += fmt.Sprintf(`: "%s"`, render(v))
			}
			return steps.Result{}, steps.Terminal(steps.Reasoned(ReasonFailureCriteriaMet, errors.New(msg)))
		}
	}
	succeeded := false
	switch {
	case cfg.SuccessExpression != "":
		ok, err := s.boolean("config.successExpression", cfg.SuccessExpression, env)
		if err != nil {
			return steps.Result{}, err
		}
		succeeded = ok
	case cfg.FailureExpression == "":
		if status < 200 || status > 299 {
			// Kargo's "Failed without an error": not finished, asked again until the step's
			// retry.timeout ends it (docs/steps/README.md#statuses-and-retries).
			return steps.Result{}, steps.Wait(poll, fmt.Sprintf("HTTP (%d) response is not 2xx; asking again", status))
		}
		succeeded = true
	}
	if !succeeded {
		return steps.Result{}, steps.Wait(poll, fmt.Sprintf("HTTP (%d) response met neither success nor failure criteria; asking again", status))
	}
	outputs, err := s.outputs(cfg.Outputs, env)
	if err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Outputs: outputs, Message: fmt.Sprintf("HTTP (%d) response met success criteria", status)}, nil
}

// boolean evaluates a bare expression that must yield a boolean.
func (s *Step) boolean(field, expression string, env map[string]any) (bool, error) {
	v, err := s.eval.Bare(expression, env)
	if err != nil {
		return false, steps.Reasoned(ReasonExpression, fmt.Errorf("%s: %w", field, err))
	}
	b, ok := v.(bool)
	if !ok {
		return false, steps.Reasoned(ReasonExpression, fmt.Errorf("%s: must evaluate to a boolean, not %T", field, v))
	}
	return b, nil
}

// outputs evaluates each output and makes its value plain JSON (numbers become float64), so
// that what the step reports is what later steps read.
func (s *Step) outputs(outs []Output, env map[string]any) (map[string]any, error) {
	if len(outs) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(outs))
	for i, o := range outs {
		v, err := s.eval.Bare(o.FromExpression, env)
		if err != nil {
			return nil, steps.Reasoned(ReasonExpression, fmt.Errorf("config.outputs[%d].fromExpression: %w", i, err))
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, steps.Reasoned(ReasonExpression, fmt.Errorf("config.outputs[%d].fromExpression: the result is not JSON: %w", i, err))
		}
		var plain any
		if err := json.Unmarshal(raw, &plain); err != nil {
			return nil, err
		}
		m[o.Name] = plain
	}
	return m, nil
}

// render is the text of an errorExpression result: strings as they are, the rest as JSON.
func render(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// readBodyFile reads the workspace file bodyFromFile names, at most MaxBodyFileBytes.
func readBodyFile(sc *steps.Context, rel string) ([]byte, error) {
	name := filepath.Clean(filepath.FromSlash(rel))
	if !filepath.IsLocal(name) {
		return nil, steps.Terminal(fmt.Errorf("config.bodyFromFile: %w: %q", steps.ErrPathEscape, rel))
	}
	f, err := sc.Dir.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent" {
			return nil, steps.Terminal(fmt.Errorf("config.bodyFromFile: %w: %q", steps.ErrPathEscape, rel))
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config.bodyFromFile: %s does not exist in the workspace", rel)
		}
		return nil, fmt.Errorf("config.bodyFromFile: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBodyFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config.bodyFromFile: read %s: %w", rel, err)
	}
	if len(b) > MaxBodyFileBytes {
		return nil, steps.Terminal(fmt.Errorf("config.bodyFromFile: %s is larger than %s", rel, httpclient.FormatBytes(MaxBodyFileBytes)))
	}
	return b, nil
}
