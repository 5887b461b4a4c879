package yamlmerge_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/yamlmerge"
)

func TestGolden(t *testing.T) { steptest.Golden(t, yamlmerge.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, yamlmerge.Name, yamlmerge.Config{})
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"later scalar wins", []string{"a: 1\nb: 2\n", "b: 3\n"}, "a: 1\nb: 3\n"},
		{"maps merge recursively", []string{"m:\n  a: 1\n  b: 2\n", "m:\n  b: 3\n  c: 4\n"}, "m:\n  a: 1\n  b: 3\n  c: 4\n"},
		{"lists replaced wholesale", []string{"l:\n  - 1\n  - 2\n", "l:\n  - 3\n"}, "l:\n  - 3\n"},
		{"null removes key", []string{"a: 1\nb: 2\n", "a: null\n"}, "b: 2\n"},
		{"null for absent key adds nothing", []string{"a: 1\n", "b: ~\n"}, "a: 1\n"},
		{"nested null removes nested key", []string{"m:\n  a: 1\n  b: 2\n", "m:\n  a:\n"}, "m:\n  b: 2\n"},
		{"map replaces scalar", []string{"a: 1\n", "a:\n  b: 2\n"}, "a:\n  b: 2\n"},
		{"scalar replaces map", []string{"a:\n  b: 2\n", "a: x\n"}, "a: x\n"},
		{"empty files skipped", []string{"", "a: 1\n", "\n# only a comment\n"}, "a: 1\n"},
		{"nothing to merge", []string{"", "   \n"}, ""},
		{"first document only", []string{"a: 1\n---\na: 2\n", "b: 1\n---\nb: 2\n"}, "a: 1\nb: 1\n"},
		{"four-space indent kept", []string{"m:\n    a: 1\n", "m:\n  b: 2\n"}, "m:\n    a: 1\n    b: 2\n"},
		{"compact lists kept", []string{"l:\n- a\nm:\n  x: 1\n", "m:\n  x: 2\n"}, "l:\n- a\nm:\n  x: 2\n"},
		{"quoting of the first file kept", []string{"a: \"quoted\"\nb: 'single'\n", "c: 1\n"}, "a: \"quoted\"\nb: 'single'\nc: 1\n"},
		{"root list replaced", []string{"- a\n", "- b\n"}, "- b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs [][]byte
			for _, d := range tt.in {
				docs = append(docs, []byte(d))
			}
			got, err := yamlmerge.Merge(docs)
			if err != nil {
				t.Fatalf("Merge(%q) = %v, want %q", tt.in, err, tt.want)
			}
			if string(got) != tt.want {
				t.Errorf("Merge(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name     string
		config   map[string]any
		terminal bool
		wantErr  error
	}{
		{"missing input", map[string]any{"inFiles": []any{"a.yaml", "nope.yaml"}, "outFile": "out.yaml"}, false, fs.ErrNotExist},
		{"bad yaml", map[string]any{"inFiles": []any{"a.yaml", "bad.yaml"}, "outFile": "out.yaml"}, false, nil},
		{"no inputs", map[string]any{"inFiles": []any{}, "outFile": "out.yaml"}, true, steps.ErrInvalidConfig},
		{"no outFile", map[string]any{"inFiles": []any{"a.yaml"}}, true, steps.ErrInvalidConfig},
		{"input escapes", map[string]any{"inFiles": []any{"a.yaml", "../x.yaml"}, "outFile": "out.yaml"}, true, steps.ErrPathEscape},
		{"output escapes", map[string]any{"inFiles": []any{"a.yaml"}, "outFile": "/tmp/out.yaml"}, true, steps.ErrPathEscape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, map[string][]byte{"a.yaml": []byte("a: 1\n"), "bad.yaml": []byte("a: [\n")})
			_, err := steptest.Run(t, yamlmerge.New(), sc)
			if err == nil || steps.IsTerminal(err) != tt.terminal {
				t.Fatalf("Run() = %v, want an error (terminal: %v)", err, tt.terminal)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want an error wrapping %v", err, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(sc.WorkDir, "out.yaml")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("out.yaml after a failed Run: Stat = %v, want it absent", err)
			}
		})
	}
}

func TestRunThroughSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	sc := steptest.NewContext(t, map[string]any{"inFiles": []any{"a.yaml"}, "outFile": "link/out.yaml"},
		map[string][]byte{"a.yaml": []byte("a: 1\n")})
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := steptest.Run(t, yamlmerge.New(), sc)
	if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
		t.Errorf("Run(outFile through a symlink out) = %v, want a terminal ErrPathEscape", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the workspace: %v", entries)
	}
}
