package deletestep_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/deletestep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, deletestep.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, deletestep.Name, deletestep.Config{})
}

var tree = map[string][]byte{
	"a.txt": []byte("a"), "dir/b.txt": []byte("b"), "dir/sub/c.bak": []byte("c"), "d.bak": []byte("d"),
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		config   map[string]any
		left     []string // files left afterwards; nil for a failed Run (nothing removed)
		terminal bool
		wantErr  error
	}{
		{name: "one file", config: map[string]any{"path": "a.txt"}, left: []string{"d.bak", "dir/b.txt", "dir/sub/c.bak"}},
		{name: "directory", config: map[string]any{"path": "./dir/"}, left: []string{"a.txt", "d.bak"}},
		{name: "paths", config: map[string]any{"paths": []any{"a.txt", "dir/sub"}}, left: []string{"d.bak", "dir/b.txt"}},
		{name: "missing ignored", config: map[string]any{"paths": []any{"nope", "a.txt"}}, left: []string{"d.bak", "dir/b.txt", "dir/sub/c.bak"}},
		{name: "missing strict", config: map[string]any{"paths": []any{"a.txt", "nope"}, "strict": true}, wantErr: fs.ErrNotExist},
		{name: "glob doublestar", config: map[string]any{"path": "./**/*.bak", "pathsAreGlobs": true}, left: []string{"a.txt", "dir/b.txt"}},
		{name: "glob no match ignored", config: map[string]any{"path": "*.zip", "pathsAreGlobs": true}, left: []string{"a.txt", "d.bak", "dir/b.txt", "dir/sub/c.bak"}},
		{name: "glob no match strict", config: map[string]any{"path": "*.zip", "pathsAreGlobs": true, "strict": true}, wantErr: fs.ErrNotExist},
		{name: "bad glob", config: map[string]any{"path": "[a", "pathsAreGlobs": true}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "glob escapes", config: map[string]any{"path": "../*", "pathsAreGlobs": true}, terminal: true, wantErr: steps.ErrPathEscape},
		{name: "path escapes", config: map[string]any{"paths": []any{"a.txt", "../x"}}, terminal: true, wantErr: steps.ErrPathEscape},
		{name: "absolute path", config: map[string]any{"path": "/etc/passwd"}, terminal: true, wantErr: steps.ErrPathEscape},
		{name: "workspace itself", config: map[string]any{"path": "."}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "both path and paths", config: map[string]any{"path": "a.txt", "paths": []any{"d.bak"}}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "neither path nor paths", config: map[string]any{"strict": true}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "empty paths", config: map[string]any{"paths": []any{}}, terminal: true, wantErr: steps.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, tree)
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, deletestep.New(), sc)
			after := steptest.Snapshot(t, sc.WorkDir)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || steps.IsTerminal(err) != tt.terminal {
					t.Fatalf("Run() = %v, want an error wrapping %v (terminal: %v)", err, tt.wantErr, tt.terminal)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run() = %v, want nil", err)
			}
			var left []string
			for name := range after {
				left = append(left, name)
			}
			if diff := cmp.Diff(tt.left, left, cmpSorted); diff != "" {
				t.Errorf("files left mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// TestRunSymlinks: a symlink is removed itself; what it points to, inside or outside the
// workspace, is kept, and nothing is reached through a symlink that leads out.
func TestRunSymlinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := steptest.NewContext(t, nil, map[string][]byte{"target/f": []byte("f")})
	for name, target := range map[string]string{"out": outside, "in": "target"} {
		if err := os.Symlink(target, filepath.Join(sc.WorkDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	sc.Config = map[string]any{"paths": []any{"out", "in"}}
	if _, err := steptest.Run(t, deletestep.New(), sc); err != nil {
		t.Fatalf("Run(delete symlinks) = %v, want nil", err)
	}
	if diff := cmp.Diff(map[string]string{"target/f": "f"}, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
		t.Errorf("workspace after deleting symlinks (-want +got):\n%s", diff)
	}
	if err := os.Symlink(outside, filepath.Join(sc.WorkDir, "out")); err != nil {
		t.Fatal(err)
	}
	sc.Config = map[string]any{"path": "out/keep"}
	if _, err := steptest.Run(t, deletestep.New(), sc); !errors.Is(err, steps.ErrPathEscape) {
		t.Errorf("Run(%v) = %v, want ErrPathEscape", sc.Config, err)
	}
	sc.Config = map[string]any{"path": "out/*", "pathsAreGlobs": true}
	if _, err := steptest.Run(t, deletestep.New(), sc); !errors.Is(err, steps.ErrPathEscape) {
		t.Errorf("Run(%v) = %v, want ErrPathEscape", sc.Config, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("file outside the workspace: %v, want it kept", err)
	}
}
