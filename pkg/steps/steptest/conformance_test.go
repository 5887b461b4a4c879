package steptest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

// good keeps every promise: it reads a file and outputs its size.
type good struct{}

func (good) Info() steps.Info { return steps.Info{Name: "test-good", ReadOnly: true} }

func (good) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	b, err := sc.Dir.ReadFile("in.txt")
	if err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Outputs: map[string]any{"size": len(b), "lines": []string{string(b)}}}, nil
}

// counts outputs how often it ran: a redelivered job gives another result.
type counts struct{ n atomic.Int32 }

func (*counts) Info() steps.Info { return steps.Info{Name: "test-counts"} }

func (c *counts) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Outputs: map[string]any{"runs": int(c.n.Add(1))}}, nil
}

// writes says it is read-only, and writes.
type writes struct{ good }

func (writes) Info() steps.Info { return steps.Info{Name: "test-writes", ReadOnly: true} }

func (w writes) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	if err := sc.Dir.WriteFile("out.txt", []byte("x"), 0o644); err != nil {
		return steps.Result{}, err
	}
	return w.good.Run(ctx, sc)
}

// ignoresCtx runs on with its ctx cancelled.
type ignoresCtx struct{}

func (ignoresCtx) Info() steps.Info { return steps.Info{Name: "test-ignores-ctx"} }

func (ignoresCtx) Run(context.Context, *steps.Context) (steps.Result, error) {
	return steps.Result{}, nil
}

// bytesOut outputs bytes, which JSON would record as base64 text.
type bytesOut struct{ good }

func (bytesOut) Info() steps.Info { return steps.Info{Name: "test-bytes"} }

func (b bytesOut) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	res, err := b.good.Run(ctx, sc)
	if err == nil {
		res.Outputs["raw"] = []byte("hi")
	}
	return res, err
}

// offSchema claims to be git-commit and outputs what schemas/steps/outputs/git-commit.json
// does not allow: a number for commit, and a key the schema lacks.
type offSchema struct{}

func (offSchema) Info() steps.Info { return steps.Info{Name: "git-commit", ReadOnly: true} }

func (offSchema) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Outputs: map[string]any{"commit": 5, "extra": "x"}}, nil
}

// onSchema claims to be git-commit and outputs what its schema allows.
type onSchema struct{}

func (onSchema) Info() steps.Info { return steps.Info{Name: "git-commit", ReadOnly: true} }

func (onSchema) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Outputs: map[string]any{"commit": "0123abcd"}}, nil
}

var conformanceSteps = map[string]steps.Step{
	"good": good{}, "counts": &counts{}, "writes": writes{}, "ignores-ctx": ignoresCtx{}, "bytes": bytesOut{},
	"off-schema": offSchema{}, "on-schema": onSchema{},
}

// conformanceConfig is the config of the case each step runs; git-commit's schema needs one.
var conformanceConfig = map[string]map[string]any{
	"off-schema": {"path": "out", "message": "m"},
	"on-schema":  {"path": "out", "message": "m"},
}

// TestConformanceCatches runs the suite on a step that keeps every promise and on steps
// that each break one, in a child test process, and checks that exactly the broken
// promise's check fails.
func TestConformanceCatches(t *testing.T) {
	if name := os.Getenv("STEPTEST_STEP"); name != "" {
		steptest.Conformance(t, conformanceSteps[name], steptest.Case{
			Config: conformanceConfig[name],
			Files:  map[string][]byte{"in.txt": []byte("hello")},
		})
		return
	}
	tests := []struct {
		step string
		fail string // the failing check; "" for none
	}{
		{step: "good"},
		{step: "counts", fail: "redelivery"},
		{step: "writes", fail: "read-only"},
		{step: "ignores-ctx", fail: "cancelled"},
		{step: "bytes", fail: "outputs"},
		{step: "off-schema", fail: "outputs"},
		{step: "on-schema"},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestConformanceCatches$", "-test.v")
			cmd.Env = append(os.Environ(), "STEPTEST_STEP="+tt.step)
			out, err := cmd.CombinedOutput()
			var failed []string
			for _, check := range []string{"redelivery", "read-only", "cancelled", "outputs"} {
				if strings.Contains(string(out), "--- FAIL: TestConformanceCatches/"+check) {
					failed = append(failed, check)
				}
			}
			want := []string{}
			if tt.fail != "" {
				want = append(want, tt.fail)
			}
			if strings.Join(failed, ",") != strings.Join(want, ",") || (err == nil) != (tt.fail == "") {
				t.Errorf("Conformance(%s): failed checks %v (exit %v), want %v:\n%s", tt.step, failed, err, want, out)
			}
		})
	}
}
