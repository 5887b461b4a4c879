package copystep_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/copystep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, copystep.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, copystep.Name, copystep.Config{})
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name     string
		config   map[string]any
		terminal bool
		wantErr  error
	}{
		{"missing inPath", map[string]any{"inPath": "nope", "outPath": "x"}, false, os.ErrNotExist},
		{"into itself", map[string]any{"inPath": "dir", "outPath": "dir/sub"}, true, steps.ErrInvalidConfig},
		{"workspace root", map[string]any{"inPath": ".", "outPath": "copy"}, true, steps.ErrInvalidConfig},
		{"file onto directory", map[string]any{"inPath": "dir/a.txt", "outPath": "dir"}, true, steps.ErrInvalidConfig},
		{"directory onto file", map[string]any{"inPath": "dir", "outPath": "f.txt"}, true, steps.ErrInvalidConfig},
		{"inPath escapes", map[string]any{"inPath": "../x", "outPath": "y"}, true, steps.ErrPathEscape},
		{"outPath escapes", map[string]any{"inPath": "dir", "outPath": "../y"}, true, steps.ErrPathEscape},
		{"unknown field", map[string]any{"inPath": "dir", "outPath": "y", "recursive": true}, true, steps.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, map[string][]byte{"dir/a.txt": []byte("a"), "f.txt": []byte("f")})
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, copystep.New(), sc)
			if err == nil || steps.IsTerminal(err) != tt.terminal {
				t.Fatalf("Run() = %v, want an error (terminal: %v)", err, tt.terminal)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want an error wrapping %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
			}
		})
	}
}

// TestRunSymlinks: symlinks inside inPath are skipped, and a symlink that leads outside the
// workspace can be neither read nor written through.
func TestRunSymlinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := steptest.NewContext(t, map[string]any{"inPath": "src", "outPath": "dst"}, map[string][]byte{"src/a": []byte("a")})
	for name, target := range map[string]string{"src/out-link": outside, "src/in-link": "a", "out": outside} {
		if err := os.Symlink(target, filepath.Join(sc.WorkDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := steptest.Run(t, copystep.New(), sc); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	got := steptest.Snapshot(t, filepath.Join(sc.WorkDir, "dst"))
	if diff := cmp.Diff(map[string]string{"a": "a"}, got); diff != "" {
		t.Errorf("dst after Run mismatch (-want +got):\n%s", diff)
	}

	for _, cfg := range []map[string]any{
		{"inPath": "out/secret", "outPath": "stolen"},
		{"inPath": "src/a", "outPath": "out/planted"},
		{"inPath": "src", "outPath": "out/tree"},
	} {
		sc.Config = cfg
		_, err := steptest.Run(t, copystep.New(), sc)
		if !errors.Is(err, steps.ErrPathEscape) || !steps.IsTerminal(err) {
			t.Errorf("Run(%v) = %v, want a terminal ErrPathEscape", cfg, err)
		}
	}
	if got := steptest.Snapshot(t, outside); len(got) != 1 {
		t.Errorf("files outside the workspace after Run = %v, want only secret", got)
	}
}

func TestRunKeepsMode(t *testing.T) {
	sc := steptest.NewContext(t, map[string]any{"inPath": "bin", "outPath": "out"}, map[string][]byte{"bin/run.sh": []byte("#!/bin/sh\n")})
	if err := os.Chmod(filepath.Join(sc.WorkDir, "bin/run.sh"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := steptest.Run(t, copystep.New(), sc); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	fi, err := os.Stat(filepath.Join(sc.WorkDir, "out/run.sh"))
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("Stat(out/run.sh) = %v, %v; want mode 0750", fi, err)
	}
}
