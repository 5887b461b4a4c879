package yamlupdate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/yamlupdate"
)

var update = steptest.Update

// TestGolden runs every testdata/<case>.txtar. A case holds config.yaml (the step config),
// the workspace files, and the expected results: want/outcome (status, reason, message),
// want/commitMessage, want/<file> for every file the step changes, and want/read-back, each
// updated key with the value the changed file reads back as (JSON, as Helm's YAML parser
// sigs.k8s.io/yaml reads it). A workspace file with no want/<file> must be left unchanged.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(cases) == 0 {
		t.Fatalf("Glob(testdata/*.txtar) = %v, %v, want cases", cases, err)
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ar := parseArchive(data)
			var cfg map[string]any
			if err := yaml.Unmarshal(ar.get("config.yaml"), &cfg); err != nil {
				t.Fatalf("%s: config.yaml: %v", file, err)
			}
			inputs := map[string][]byte{}
			for _, f := range ar.files {
				if f.name != "config.yaml" && !strings.HasPrefix(f.name, "want/") {
					inputs[f.name] = f.data
				}
			}
			sc := newContext(t, cfg, inputs)

			res, err := yamlupdate.New().Run(t.Context(), sc)

			got := map[string][]byte{"want/outcome": []byte(outcome(res, err))}
			if msg, ok := res.Outputs["commitMessage"].(string); ok {
				got["want/commitMessage"] = []byte(msg + "\n")
			}
			for name, in := range inputs {
				out, err := os.ReadFile(filepath.Join(sc.WorkDir, name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(in, out) {
					got["want/"+name] = out
					got["want/read-back"] = readBackAll(t, out, cfg)
				}
			}
			if *update {
				ar.setWant(got)
				if err := os.WriteFile(file, ar.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := map[string][]byte{}
			for _, f := range ar.files {
				if strings.HasPrefix(f.name, "want/") {
					want[f.name] = f.data
				}
			}
			if diff := cmp.Diff(stringMap(want), stringMap(got)); diff != "" {
				t.Errorf("Run(%s) mismatch (-want +got):\n%s", file, diff)
			}
		})
	}
}

func TestRunTwiceIsIdempotent(t *testing.T) {
	cfg := map[string]any{"path": "v.yaml", "updates": []any{map[string]any{"key": "a.b", "value": "x"}}}
	sc := newContext(t, cfg, map[string][]byte{"v.yaml": []byte("a:\n  b: y # old\n")})
	var outs []string
	for range 2 {
		if _, err := yamlupdate.New().Run(t.Context(), sc); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		b, err := os.ReadFile(filepath.Join(sc.WorkDir, "v.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	if want := "a:\n  b: x # old\n"; outs[0] != want || outs[1] != want {
		t.Errorf("file after two runs = %q, want %q twice", outs, want)
	}
}

func TestRunRejectsSymlinkOutOfWorkspace(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	const secret = "password: hunter2\n"
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"path": "link.yaml", "updates": []any{map[string]any{"key": "password", "value": "x"}}}
	sc := newContext(t, cfg, nil)
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := yamlupdate.New().Run(t.Context(), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(symlink out of workspace) = %v, want a terminal error wrapping ErrPathEscape", err)
	}
	if b, _ := os.ReadFile(outside); string(b) != secret {
		t.Errorf("file outside the workspace = %q, want %q", b, secret)
	}
}

func TestRunKeepsFileMode(t *testing.T) {
	cfg := map[string]any{"path": "v.yaml", "updates": []any{map[string]any{"key": "a", "value": "b"}}}
	sc := newContext(t, cfg, map[string][]byte{"v.yaml": []byte("a: c\n")})
	p := filepath.Join(sc.WorkDir, "v.yaml")
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := yamlupdate.New().Run(t.Context(), sc); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode after Run = %v, want %v", got, os.FileMode(0o600))
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	cfg := map[string]any{"path": "v.yaml", "updates": []any{map[string]any{"key": "a", "value": "b"}}}
	sc := newContext(t, cfg, map[string][]byte{"v.yaml": []byte("a: c\n")})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := yamlupdate.New().Run(ctx, sc); err == nil {
		t.Errorf("Run(cancelled ctx) = nil, want an error")
	}
	if b, _ := os.ReadFile(filepath.Join(sc.WorkDir, "v.yaml")); string(b) != "a: c\n" {
		t.Errorf("file after cancelled Run = %q, want it unchanged", b)
	}
}

// TestApply covers byte-level behaviour that golden files cannot hold: line endings and a
// missing final newline.
func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		updates []yamlupdate.Update
		want    string
	}{
		{"crlf becomes lf", "a: 1\r\nb: 2\r\n", []yamlupdate.Update{{Key: "b", Value: 3.0}}, "a: 1\nb: 3\n"},
		{"final newline added", "a: 1\nb: 2", []yamlupdate.Update{{Key: "a", Value: "x"}}, "a: x\nb: 2\n"},
		{"unchanged lines normalised too", "a: 1\r\n# c\r\nb: 2", []yamlupdate.Update{{Key: "a", Value: true}}, "a: true\n# c\nb: 2\n"},
		{"two updates on one flow line", "l: [1, 2] # c\n", []yamlupdate.Update{{Key: "l.0", Value: 7.0}, {Key: "l.1", Value: 8.0}}, "l: [7, 8] # c\n"},
		{"flow mapping is not cut", "image: {repo: a, tag: v1} # pinned\n", []yamlupdate.Update{{Key: "image.tag", Value: "v2"}}, "image: {repo: a, tag: v2} # pinned\n"},
		{"flow value with a comma is quoted", "l: [a, b]\n", []yamlupdate.Update{{Key: "l.0", Value: "x,y"}}, "l: [\"x,y\", b]\n"},
		{"flow mapping over lines", "m: {\n  a: 1,\n  b: 2\n}\n", []yamlupdate.Update{{Key: "m.a", Value: "x]"}}, "m: {\n  a: \"x]\",\n  b: 2\n}\n"},
		{"double quoted keeps what follows", "a: \"v1\" # c\n", []yamlupdate.Update{{Key: "a", Value: "v2"}}, "a: v2 # c\n"},
		{"single quoted with escaped quote", "a: 'it''s' # c\n", []yamlupdate.Update{{Key: "a", Value: "v2"}}, "a: v2 # c\n"},
		{"quoted over two lines", "a: \"one\n  two\" # c\nb: 1\n", []yamlupdate.Update{{Key: "a", Value: "v2"}}, "a: v2 # c\nb: 1\n"},
		{"block scalar replaced whole", "s: | # keep\n  old\n  more\nb: 1\n", []yamlupdate.Update{{Key: "s", Value: "new"}}, "s: new # keep\nb: 1\n"},
		{"block scalar in a list of maps", "- s: >-\n    old\n  t: 1\n", []yamlupdate.Update{{Key: "0.s", Value: "new"}}, "- s: new\n  t: 1\n"},
		{"empty list item", "- a\n-\n", []yamlupdate.Update{{Key: "1", Value: "b"}}, "- a\n- b\n"},
		{"value on its own line", "a:\n  old\n", []yamlupdate.Update{{Key: "a", Value: "new"}}, "a:\n  new\n"},
		{"tab before value", "a:\tx\n", []yamlupdate.Update{{Key: "a", Value: "z"}}, "a:\tz\n"},
		{"int value", "n: 1\n", []yamlupdate.Update{{Key: "n", Value: 5}}, "n: 5\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := yamlupdate.Apply([]byte(tt.in), tt.updates)
			if err != nil {
				t.Fatalf("Apply(%q, %v) = %v, want %q", tt.in, tt.updates, err, tt.want)
			}
			if string(got) != tt.want {
				t.Errorf("Apply(%q, %v) = %q, want %q", tt.in, tt.updates, got, tt.want)
			}
		})
	}
}

func TestApplyLongLine(t *testing.T) {
	in := "a: b\nc: " + strings.Repeat("x", yamlupdate.MaxLineLength) + "\n"
	if _, err := yamlupdate.Apply([]byte(in), []yamlupdate.Update{{Key: "a", Value: "z"}}); err == nil {
		t.Errorf("Apply(line of %d bytes) = nil error, want an error", len(in))
	}
}

func TestApplyEmptyDocument(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "---\n"} {
		_, err := yamlupdate.Apply([]byte(in), []yamlupdate.Update{{Key: "a", Value: "z"}})
		if !errors.Is(err, yamlupdate.ErrKeyNotFound) {
			t.Errorf("Apply(%q) = %v, want ErrKeyNotFound", in, err)
		}
	}
}

func TestInfo(t *testing.T) {
	want := steps.Info{Name: "yaml-update", Executor: "config"}
	if diff := cmp.Diff(want, yamlupdate.New().Info()); diff != "" {
		t.Errorf("Info() mismatch (-want +got):\n%s", diff)
	}
}

// newContext returns a step context whose workspace holds files.
func newContext(t *testing.T, cfg map[string]any, files map[string][]byte) *steps.Context {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &steps.Context{
		Project: "kargo-demo", Stage: "prod", Promotion: "prod.01j", Alias: "update", Attempt: 1,
		Config: cfg, WorkDir: dir, Dir: root, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// outcome renders what Run returned the way want/outcome holds it.
func outcome(res steps.Result, err error) string {
	o := steps.Classify(res, err)
	s := "status: " + o.Status + "\n"
	if o.Reason != "" {
		s += "reason: " + o.Reason + "\n"
	}
	if err != nil {
		s += "message: " + o.Message + "\n"
	}
	return s
}

func stringMap(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// archive is a txtar file: a comment, then files each introduced by a "-- name --" line.
type archive struct {
	comment []byte
	files   []archiveFile
}

type archiveFile struct {
	name string
	data []byte
}

func parseArchive(data []byte) *archive {
	ar := &archive{}
	cur := -1
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		trimmed := bytes.TrimSuffix(line, []byte("\n"))
		if name, ok := marker(trimmed); ok {
			ar.files = append(ar.files, archiveFile{name: name})
			cur = len(ar.files) - 1
			continue
		}
		if cur < 0 {
			ar.comment = append(ar.comment, line...)
		} else {
			ar.files[cur].data = append(ar.files[cur].data, line...)
		}
	}
	return ar
}

func marker(line []byte) (string, bool) {
	s := string(line)
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < 7 {
		return "", false
	}
	return strings.TrimSpace(s[3 : len(s)-3]), true
}

func (ar *archive) get(name string) []byte {
	for _, f := range ar.files {
		if f.name == name {
			return f.data
		}
	}
	return nil
}

// setWant replaces every want/ file with want, in a stable order.
func (ar *archive) setWant(want map[string][]byte) {
	var kept []archiveFile
	for _, f := range ar.files {
		if !strings.HasPrefix(f.name, "want/") {
			kept = append(kept, f)
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return wantOrder(names[i]) < wantOrder(names[j]) })
	for _, n := range names {
		kept = append(kept, archiveFile{name: n, data: want[n]})
	}
	ar.files = kept
}

// wantOrder puts changed files first, then commitMessage, then outcome.
func wantOrder(name string) string {
	switch name {
	case "want/commitMessage":
		return "\xff1"
	case "want/outcome":
		return "\xff2"
	}
	return name
}

func (ar *archive) format() []byte {
	var b bytes.Buffer
	b.Write(ar.comment)
	for _, f := range ar.files {
		b.WriteString("-- " + f.name + " --\n")
		b.Write(f.data)
		if len(f.data) > 0 && f.data[len(f.data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// FuzzApply checks that Apply never panics and that a successful update leaves a file that
// parses, reads back the string asked for at the key, and has no more lines than before.
func FuzzApply(f *testing.F) {
	f.Add("a:\n  b: 1 # c\n", "a.b", "x")
	f.Add("l: [1, 2]\n", "l.1", "")
	f.Add("- a\n-\n", "1", "é")
	f.Add("k: |\n  x\n", "k", "y")
	f.Fuzz(func(t *testing.T, in, key, value string) {
		out, err := yamlupdate.Apply([]byte(in), []yamlupdate.Update{{Key: key, Value: value}})
		if err != nil {
			return
		}
		if got, want := bytes.Count(out, []byte("\n")), len(strings.Split(strings.TrimSuffix(strings.ReplaceAll(in, "\r\n", "\n"), "\n"), "\n")); in != "" && got > want {
			t.Errorf("Apply(%q, %q=%q) = %q: %d lines, want at most %d", in, key, value, out, got, want)
		}
		if got, err := readBack(out, key); err != nil || got != any(value) {
			t.Errorf("Apply(%q, %q=%q) = %q, which reads back as %#v (%v)", in, key, value, out, got, err)
		}
	})
}

// readBackAll renders, for each update of cfg, the key and the value out reads back as.
func readBackAll(t *testing.T, out []byte, cfg map[string]any) []byte {
	t.Helper()
	var b bytes.Buffer
	list, _ := cfg["updates"].([]any)
	for _, u := range list {
		key, _ := u.(map[string]any)["key"].(string)
		v, err := readBack(out, key)
		if err != nil {
			t.Fatalf("read back %s: %v", key, err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: %s\n", key, j)
	}
	return b.Bytes()
}

// readBack decodes the first document of out as Helm does (sigs.k8s.io/yaml) and returns the
// value at key.
func readBack(out []byte, key string) (any, error) {
	var doc any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return nil, err
	}
	parts, err := keypath.Parse(key)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		switch n := doc.(type) {
		case map[string]any:
			doc = n[p.Key]
		case []any:
			i, ok := p.Index()
			if !ok || i >= len(n) {
				return nil, fmt.Errorf("no index %s", p.Key)
			}
			doc = n[i]
		default:
			return nil, fmt.Errorf("no key %s", p.Key)
		}
	}
	return doc, nil
}

// TestApplyRefusesWhatWouldNotReadBack: an edit whose result would not read back as the value
// asked for, with everything else unchanged, is refused, here because the old value's
// explicit tag does not fit the new one.
func TestApplyRefusesWhatWouldNotReadBack(t *testing.T) {
	_, err := yamlupdate.Apply([]byte("a: !!int 5 # n\nb: 1\n"), []yamlupdate.Update{{Key: "a", Value: "five"}})
	if !errors.Is(err, yamlupdate.ErrNotVerified) || !strings.Contains(err.Error(), "key a") {
		t.Errorf("Apply(tagged value) = %v, want ErrNotVerified naming key a", err)
	}
}
