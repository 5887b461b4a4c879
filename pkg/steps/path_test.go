package steps_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/drayhq/dray/pkg/steps"
)

// workspaceWithLinks makes a workspace holding sub/file, a symlink in → sub, and symlinks
// out → a directory beside the workspace and abs → that directory by absolute path.
func workspaceWithLinks(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "ws"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "sub", "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"in": "sub", "out": "../outside", "abs": outside, "up": ".."} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

func TestSecurePath(t *testing.T) {
	root, _ := workspaceWithLinks(t)
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rel  string
		want string // relative to the resolved root; ignored when wantEscape
		// wantEscape means an error wrapping ErrPathEscape.
		wantEscape bool
	}{
		{rel: "sub/file", want: "sub/file"},
		{rel: "sub/new/deeper.yaml", want: "sub/new/deeper.yaml"},
		{rel: "not-yet", want: "not-yet"},
		{rel: ".", want: "."},
		{rel: "", want: "."},
		{rel: "  sub/file  ", want: "sub/file"},
		{rel: "sub/../sub/file", want: "sub/file"},
		{rel: "in/file", want: "sub/file"},
		{rel: "in/new.txt", want: "sub/new.txt"},
		{rel: "../x", wantEscape: true},
		{rel: "..", wantEscape: true},
		{rel: "sub/../../x", wantEscape: true},
		{rel: "/etc/passwd", wantEscape: true},
		{rel: root + "/sub/file", wantEscape: true},
		{rel: "out", wantEscape: true},
		{rel: "out/new.txt", wantEscape: true},
		{rel: "abs/new/file", wantEscape: true},
		{rel: "up/outside", wantEscape: true},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			got, err := steps.SecurePath(root, tt.rel)
			if tt.wantEscape {
				if !errors.Is(err, steps.ErrPathEscape) {
					t.Errorf("SecurePath(root, %q) = %q, %v; want an error wrapping ErrPathEscape", tt.rel, got, err)
				}
				return
			}
			if want := filepath.Join(real, tt.want); err != nil || got != want {
				t.Errorf("SecurePath(root, %q) = %q, %v; want %q", tt.rel, got, err, want)
			}
		})
	}
}

func TestContextPath(t *testing.T) {
	root, _ := workspaceWithLinks(t)
	sc := &steps.Context{WorkDir: root}
	if _, err := sc.Path("out/x"); !errors.Is(err, steps.ErrPathEscape) {
		t.Errorf("Context.Path(%q) = %v, want ErrPathEscape", "out/x", err)
	}
	got, err := sc.Path("sub/file")
	if err != nil {
		t.Fatalf("Context.Path(%q) = %v", "sub/file", err)
	}
	if b, err := os.ReadFile(got); err != nil || string(b) != "x" {
		t.Errorf("ReadFile(Context.Path(sub/file)) = %q, %v; want %q", b, err, "x")
	}
}
