package filewrite_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/filewrite"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, filewrite.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, filewrite.Name, filewrite.Config{})
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		config   map[string]any
		wantMode os.FileMode // of new.txt after a successful Run
		terminal bool
		wantErr  error // nil: success
	}{
		{name: "default mode", config: map[string]any{"path": "new.txt", "contents": "x"}, wantMode: 0o600},
		{name: "mode 0644", config: map[string]any{"path": "new.txt", "contents": "x", "permissions": "0644"}, wantMode: 0o644},
		{name: "empty contents", config: map[string]any{"path": "new.txt", "contents": ""}, wantMode: 0o600},
		{name: "parents created", config: map[string]any{"path": "a/b/new.txt", "contents": "x"}},
		{name: "overwrite", config: map[string]any{"path": "old.txt", "contents": "x", "overwrite": true}},
		{name: "exists", config: map[string]any{"path": "old.txt", "contents": "x"}, wantErr: filewrite.ErrExists},
		{name: "exists with same contents", config: map[string]any{"path": "same.txt", "contents": "same"}},
		{name: "executable", config: map[string]any{"path": "new.txt", "contents": "x", "permissions": "0755"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "world-writable", config: map[string]any{"path": "new.txt", "contents": "x", "permissions": "0646"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "special bits", config: map[string]any{"path": "new.txt", "contents": "x", "permissions": "4644"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "not octal", config: map[string]any{"path": "new.txt", "contents": "x", "permissions": "0688"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "no leading zero", config: map[string]any{"path": "new.txt", "contents": "x", "permissions": "644"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "no contents", config: map[string]any{"path": "new.txt"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "into .git", config: map[string]any{"path": "repo/.git/hooks/pre-commit", "contents": "x"}, terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "escapes", config: map[string]any{"path": "../x", "contents": "x"}, terminal: true, wantErr: steps.ErrPathEscape},
		{name: "directory", config: map[string]any{"path": "repo", "contents": "x", "overwrite": true}, terminal: true, wantErr: steps.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, map[string][]byte{"old.txt": []byte("old"), "repo/README": []byte("r")})
			if err := os.WriteFile(filepath.Join(sc.WorkDir, "same.txt"), []byte("same"), 0o600); err != nil {
				t.Fatal(err)
			}
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, filewrite.New(), sc)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || steps.IsTerminal(err) != tt.terminal {
					t.Fatalf("Run() = %v, want an error wrapping %v (terminal: %v)", err, tt.wantErr, tt.terminal)
				}
				if diff := cmp.Diff(before, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
					t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run() = %v, want nil", err)
			}
			p := filepath.Join(sc.WorkDir, filepath.FromSlash(tt.config["path"].(string)))
			got, err := os.ReadFile(p)
			if err != nil || string(got) != tt.config["contents"] {
				t.Errorf("ReadFile(%s) = %q, %v; want %q", p, got, err, tt.config["contents"])
			}
			if fi, err := os.Stat(p); tt.wantMode != 0 && (err != nil || fi.Mode().Perm() != tt.wantMode) {
				t.Errorf("Stat(%s) = %v, %v; want mode %v", p, fi.Mode(), err, tt.wantMode)
			}
		})
	}
}

// TestRunSymlinks: neither the file nor a directory on the way may be a symlink, wherever it
// points.
func TestRunSymlinks(t *testing.T) {
	outside := t.TempDir()
	sc := steptest.NewContext(t, nil, map[string][]byte{"real/f": []byte("f")})
	for name, target := range map[string]string{"out": outside, "in": "real", "file-link": "real/f"} {
		if err := os.Symlink(target, filepath.Join(sc.WorkDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"out/planted", "in/g", "file-link"} {
		sc.Config = map[string]any{"path": p, "contents": "x", "overwrite": true}
		_, err := steptest.Run(t, filewrite.New(), sc)
		if err == nil || !steps.IsTerminal(err) {
			t.Errorf("Run(path %s) = %v, want a terminal error", p, err)
		}
	}
	if got := steptest.Snapshot(t, outside); len(got) != 0 {
		t.Errorf("files outside the workspace = %v, want none", got)
	}
	if diff := cmp.Diff(map[string]string{"real/f": "f", "out": "-> " + outside, "in": "-> real", "file-link": "-> real/f"},
		steptest.Snapshot(t, sc.WorkDir)); diff != "" {
		t.Errorf("workspace after rejected writes (-want +got):\n%s", diff)
	}
}
