package steptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/schema"
	"github.com/drayhq/dray/pkg/steps"
)

// Case is one job a step can run, for Conformance: a config and the workspace it runs on.
type Case struct {
	// Config is the step's config.
	Config map[string]any
	// From, when set, is a directory copied into each fresh workspace first, as an executor
	// checks out the job's workspace revision: a clone with a commit, for the git steps.
	From string
	// Files are the workspace's files before the step runs, by slash-separated name.
	Files map[string][]byte
	// Prepare, when set, readies each fresh workspace after Files are written, e.g. with a
	// clone for the git steps.
	Prepare func(t testing.TB, dir string)
	// Varying are outputs that may differ between two runs of one job, e.g. a commit's hash,
	// which holds the commit time; they are compared by presence only.
	Varying []string
	// Scrub, when set, rewrites a workspace file's content before two runs' workspaces are
	// compared, to drop what may differ between them (a generated: time in Chart.lock).
	Scrub func(name, content string) string
}

// Conformance checks what every step promises the executors that run it:
//
//   - redelivery: a job delivered twice (the executor crashed before it published the
//     result) runs again on the same workspace revision and gives the same outcome, outputs
//     and workspace files (.git directories aside, whose bytes hold times);
//   - read-only: a step whose Info says ReadOnly leaves the workspace as it found it;
//   - cancellation: a step whose ctx is cancelled stops, returning an error that wraps
//     context.Canceled, so it neither succeeds nor fails for good;
//   - outputs: outputs are plain JSON values (null, booleans, numbers, strings, lists and
//     objects of them), since they are recorded as JSON and read by expressions, and they
//     match the step's output schema, schemas/steps/outputs/<step>.json (see OutputsMatch).
//
// c must be a job the step can run; Conformance fails when its first run errors.
func Conformance(t *testing.T, s steps.Step, c Case) {
	t.Helper()
	name := s.Info().Name
	run := func(t *testing.T, ctx context.Context) (steps.Result, error, map[string]string, map[string]string) {
		t.Helper()
		sc := NewContext(t, maps.Clone(c.Config), nil)
		if c.From != "" {
			if err := os.CopyFS(sc.WorkDir, os.DirFS(c.From)); err != nil {
				t.Fatalf("copy %s into the workspace: %v", c.From, err)
			}
		}
		writeFiles(t, sc.WorkDir, c.Files)
		if c.Prepare != nil {
			c.Prepare(t, sc.WorkDir)
		}
		before := Snapshot(t, sc.WorkDir)
		res, err := steps.Result{}, steps.ValidateConfig(sc, name)
		if err == nil {
			res, err = s.Run(ctx, sc)
		}
		return res, err, before, Snapshot(t, sc.WorkDir)
	}

	first, firstErr, before, after := run(t, t.Context())
	o := steps.Classify(first, firstErr)
	if o.Status == "Errored" || o.Status == "Failed" {
		t.Fatalf("%s: Run(case) = %v; the conformance case must run", name, firstErr)
	}

	t.Run("redelivery", func(t *testing.T) {
		again, againErr, _, afterAgain := run(t, t.Context())
		o2 := steps.Classify(again, againErr)
		if o.Status != o2.Status || o.Reason != o2.Reason {
			t.Errorf("%s run twice: outcome %s %s, then %s %s (%v); want the same", name, o.Status, o.Reason, o2.Status, o2.Reason, againErr)
		}
		if diff := cmp.Diff(stable(first.Outputs, c.Varying), stable(again.Outputs, c.Varying)); diff != "" {
			t.Errorf("%s run twice: outputs differ (-first +second):\n%s", name, diff)
		}
		if diff := cmp.Diff(scrub(withoutGit(after), c.Scrub), scrub(withoutGit(afterAgain), c.Scrub)); diff != "" {
			t.Errorf("%s run twice: workspaces differ (-first +second):\n%s", name, diff)
		}
	})

	t.Run("read-only", func(t *testing.T) {
		if !s.Info().ReadOnly {
			return // the executor stores what the step changed
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%s is ReadOnly but changed the workspace (-before +after):\n%s", name, diff)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		res, err, _, _ := run(t, ctx)
		if !errors.Is(err, context.Canceled) || steps.IsTerminal(err) {
			t.Errorf("%s with its ctx cancelled = %s, %v; want a retryable error wrapping context.Canceled",
				name, steps.Classify(res, err).Status, err)
		}
	})

	t.Run("outputs", func(t *testing.T) {
		for k, v := range first.Outputs {
			if err := plainJSON(v); err != nil {
				t.Errorf("%s: outputs.%s: %v", name, k, err)
			}
		}
		if _, err := json.Marshal(first.Outputs); err != nil {
			t.Errorf("%s: outputs do not marshal to JSON: %v", name, err)
			return
		}
		OutputsMatch(t, name, first.Outputs)
	})
}

// OutputsMatch checks outputs, what a run of step returned, against the step's output
// schema, schemas/steps/outputs/<step>.json, which also drives the Outputs table of
// docs/steps/<step>.md. Every step with a config schema must have one; a step without
// either (a CustomPromotionStep, whose outputs are whatever its container writes) is not
// checked. Step tests call it for outputs the conformance case does not reach.
func OutputsMatch(t testing.TB, step string, outputs map[string]any) {
	t.Helper()
	if outputs == nil {
		outputs = map[string]any{} // recorded as no outputs
	}
	err := schema.Validate("steps/outputs/"+step, outputs)
	switch {
	case errors.Is(err, schema.ErrNoSchema):
		if schema.Exists("steps/" + step) {
			t.Errorf("%s has a config schema but no output schema: declare its outputs in schemas/steps/outputs/%s.json", step, step)
		}
	case err != nil:
		t.Errorf("%s: outputs %v do not match schemas/steps/outputs/%s.json: %v", step, outputs, step, err)
	}
}

// stable returns outputs with the varying ones replaced by a marker of their presence.
func stable(outputs map[string]any, varying []string) map[string]any {
	out := maps.Clone(outputs)
	for _, k := range varying {
		if _, ok := out[k]; ok {
			out[k] = "(varies)"
		}
	}
	return out
}

// scrub returns files with f applied to each content; f nil leaves them as they are.
func scrub(files map[string]string, f func(name, content string) string) map[string]string {
	if f == nil {
		return files
	}
	out := map[string]string{}
	for name, data := range files {
		out[name] = f(name, data)
	}
	return out
}

// withoutGit drops the files under .git directories.
func withoutGit(files map[string]string) map[string]string {
	out := map[string]string{}
	for name, data := range files {
		if name == ".git" || strings.HasPrefix(name, ".git/") || strings.Contains(name, "/.git/") {
			continue
		}
		out[name] = data
	}
	return out
}

// plainJSON reports a value that JSON would not give back as it is: anything but nil,
// booleans, numbers, strings, and slices and string-keyed maps of those.
func plainJSON(v any) error {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if _, err := json.Marshal(v); err != nil { // NaN, ±Inf
			return err
		}
		return nil
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return fmt.Errorf("%T would be recorded as base64 text", v)
		}
		for i := range rv.Len() {
			if err := plainJSON(rv.Index(i).Interface()); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("%T has keys that are not strings", v)
		}
		for _, k := range rv.MapKeys() {
			if err := plainJSON(rv.MapIndex(k).Interface()); err != nil {
				return fmt.Errorf(".%s: %w", k.String(), err)
			}
		}
		return nil
	}
	return fmt.Errorf("%T is not a plain JSON value", v)
}

// GoldenCase returns the Case of a golden case file (testdata/<case>.txtar, see Golden): its
// config.yaml and its workspace files.
func GoldenCase(t testing.TB, file string) Case {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ar := parseArchive(data)
	var cfg map[string]any
	if err := yaml.Unmarshal(ar.get("config.yaml"), &cfg); err != nil {
		t.Fatalf("%s: config.yaml: %v", file, err)
	}
	files := map[string][]byte{}
	for _, f := range ar.files {
		if f.name != "config.yaml" && !strings.HasPrefix(f.name, "want/") {
			files[f.name] = f.data
		}
	}
	return Case{Config: cfg, Files: files}
}
