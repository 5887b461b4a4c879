package executor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
)

const token = "tok/en+9-secret"

// leaky puts its config's token everywhere a step can: outputs at any depth, its message, its
// log and, with config.fail, its error.
type leaky struct{}

func (leaky) Info() steps.Info { return steps.Info{Name: "leaky", Executor: name, ReadOnly: true} }

func (leaky) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	tok, _ := sc.Config["token"].(string)
	sc.Log.Info("calling https://api.example.com/"+tok, "header", tok, "err", errors.New("rejected "+tok))
	if fail, _ := sc.Config["fail"].(bool); fail {
		return steps.Result{}, steps.Terminal(errors.New("clone https://git.example.com/" + tok + "/app.git: not found"))
	}
	return steps.Result{Message: "sent " + tok, Outputs: map[string]any{
		"commitMessage": "- image.tag: " + tok,
		"nested":        []any{map[string]any{"url": "https://x/?t=" + strings.ReplaceAll(tok, "/", "%2F")}},
	}}, nil
}

// logBuffer collects what an executor logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSealed runs an executor holding st (nil: no key) on a fresh server, logging to logs.
func startSealed(t *testing.T, st func(*bus.Bus) *secret.Store, logs *logBuffer) *env {
	t.Helper()
	return start(t, func(b *bus.Bus, d *executor.Deps) {
		d.Secrets = st(b)
		d.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
}

// sealedJob is a job of leaky whose token came from a secret, sealed as the scheduler does.
func sealedJob(t *testing.T, e *env, st *secret.Store, promotion string, fail bool) {
	t.Helper()
	config := map[string]any{"token": token, "fail": fail}
	e.store(t, promotion, "leaky", v1.PhaseRunning, nil, nil)
	job := &v1.StepJob{Project: project, Stage: "dev", Promotion: promotion, Step: 0, Alias: "step-1", Uses: "leaky", Attempt: 1,
		Config: config, RecordedConfig: map[string]any{"token": "[redacted]", "fail": fail}}
	if err := st.SealJob(job, []string{token}); err != nil {
		t.Fatal(err)
	}
	if err := e.b.Publish(t.Context(), bus.StepSubject(name, project), job.ID(), job); err != nil {
		t.Fatal(err)
	}
}

func keyFile(t *testing.T) []byte {
	t.Helper()
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestSecretsRedacted: the executor opens a sealed job, the step sees the secret value, and
// no result or log line shows it — in outputs, message, error or log, as written or
// URL-escaped.
func TestSecretsRedacted(t *testing.T) {
	key := keyFile(t)
	store := func(b *bus.Bus) *secret.Store {
		st, err := secret.NewStore(b.Secrets, key)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	logs := &logBuffer{}
	e := startSealed(t, store, logs)
	scheduler := store(e.b)
	forms := []string{token, "tok%2Fen"}

	sealedJob(t, e, scheduler, "ok", false)
	r := e.result(t)
	if r.Status != v1.StepSucceeded {
		t.Fatalf("status = %s (%s), want Succeeded: the step gets the opened config", r.Status, r.Message)
	}
	if got := r.Outputs["commitMessage"]; got != "- image.tag: [redacted]" {
		t.Errorf("commitMessage = %q, want the token redacted", got)
	}
	sealedJob(t, e, scheduler, "fails", true)
	failed := e.result(t)
	if failed.Status != v1.StepFailed || !strings.Contains(failed.Message, "git.example.com/[redacted]/app.git") {
		t.Errorf("failed result = %s %q, want Failed with the URL redacted", failed.Status, failed.Message)
	}
	for _, res := range []*v1.StepResult{r, failed} {
		if hit := findAny(forms, res); hit != "" {
			t.Errorf("result of %s shows %q: %+v", res.Promotion, hit, res)
		}
	}
	if !strings.Contains(logs.String(), "calling https://api.example.com/[redacted]") {
		t.Errorf("the step's log line is missing:\n%s", logs)
	}
	for _, f := range forms {
		if strings.Contains(logs.String(), f) {
			t.Errorf("the executor logged %q:\n%s", f, logs)
		}
	}
}

// TestSealedJobWithoutKey: an executor without the secrets key errors the step for good and
// says what to do, without running it.
func TestSealedJobWithoutKey(t *testing.T) {
	key := keyFile(t)
	logs := &logBuffer{}
	e := startSealed(t, func(*bus.Bus) *secret.Store { return nil }, logs)
	scheduler, err := secret.NewStore(e.b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	sealedJob(t, e, scheduler, "nokey", false)
	r := e.result(t)
	if r.Status != v1.StepErrored || !r.Terminal || r.Reason != "SealedConfig" || !strings.Contains(r.Message, "--secrets-key-file") {
		t.Errorf("result = %s terminal=%t %s %q; want a terminal Errored SealedConfig naming --secrets-key-file", r.Status, r.Terminal, r.Reason, r.Message)
	}
	if strings.Contains(logs.String(), "calling") {
		t.Errorf("the step ran without its config:\n%s", logs)
	}
}

// findAny returns the first form in the result's JSON, or "".
func findAny(forms []string, r *v1.StepResult) string {
	b, _ := json.Marshal(r)
	for _, f := range forms {
		if strings.Contains(string(b), f) || strings.Contains(string(b), strings.ReplaceAll(f, "/", `\/`)) {
			return f
		}
	}
	return ""
}
