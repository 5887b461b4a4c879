package tarstep_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tarstep"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, tarstep.Name, tarstep.Config{})
}

// entries lists an archive: name, then "-> target" for a symlink or the contents of a file.
func entries(t *testing.T, data []byte, gz bool) map[string]string {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("gzip.NewReader = %v; want a gzip archive", err)
		}
		r = zr
	}
	tr := tar.NewReader(r)
	out := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			out[hdr.Name] = "-> " + hdr.Linkname
		case tar.TypeDir:
			out[hdr.Name] = "dir"
		default:
			b, _ := io.ReadAll(tr)
			out[hdr.Name] = string(b)
		}
	}
}

func TestRun(t *testing.T) {
	tree := map[string][]byte{
		"out/manifests/deploy.yaml":      []byte("kind: Deployment\n"),
		"out/manifests/svc/service.yaml": []byte("kind: Service\n"),
		"out/manifests/README.md":        []byte("docs\n"),
	}
	tests := []struct {
		name   string
		config map[string]any
		out    string
		gz     bool
		want   map[string]string
	}{
		{
			name:   "directory",
			config: map[string]any{"inPath": "out/manifests", "outPath": "out/m.tar"},
			out:    "out/m.tar",
			want: map[string]string{
				"README.md": "docs\n", "deploy.yaml": "kind: Deployment\n", "svc/": "dir", "svc/service.yaml": "kind: Service\n",
				"in-link": "-> deploy.yaml",
			},
		},
		{
			name:   "gzip and ignore",
			config: map[string]any{"inPath": "./out/manifests/", "outPath": "m.tgz", "gzip": true, "ignore": "*.md\n"},
			out:    "m.tgz", gz: true,
			want: map[string]string{"deploy.yaml": "kind: Deployment\n", "svc/": "dir", "svc/service.yaml": "kind: Service\n", "in-link": "-> deploy.yaml"},
		},
		{
			name:   "single file",
			config: map[string]any{"inPath": "out/manifests/deploy.yaml", "outPath": "d.tar"},
			out:    "d.tar",
			want:   map[string]string{"deploy.yaml": "kind: Deployment\n"},
		},
		{
			name:   "archive inside inPath is not archived",
			config: map[string]any{"inPath": "out/manifests/svc", "outPath": "out/manifests/svc/self.tar"},
			out:    "out/manifests/svc/self.tar",
			want:   map[string]string{"service.yaml": "kind: Service\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, tree)
			// A link inside the tree is archived; links that leave it are not.
			for name, target := range map[string]string{"in-link": "deploy.yaml", "up-link": "../x", "abs-link": "/etc/passwd"} {
				if err := os.Symlink(target, filepath.Join(sc.WorkDir, "out/manifests", name)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := steptest.Run(t, tarstep.New(), sc); err != nil {
				t.Fatalf("Run() = %v, want nil", err)
			}
			data, err := os.ReadFile(filepath.Join(sc.WorkDir, tt.out))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, entries(t, data, tt.gz)); diff != "" {
				t.Errorf("archive entries mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunIsDeterministic(t *testing.T) {
	sc := steptest.NewContext(t, map[string]any{"inPath": "src", "outPath": "a.tgz", "gzip": true},
		map[string][]byte{"src/a": []byte("a"), "src/b/c": []byte("c")})
	var got [][]byte
	for range 2 {
		if _, err := steptest.Run(t, tarstep.New(), sc); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		b, err := os.ReadFile(filepath.Join(sc.WorkDir, "a.tgz"))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Errorf("two runs wrote different archives (%d and %d bytes)", len(got[0]), len(got[1]))
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name     string
		config   map[string]any
		terminal bool
		wantErr  error
	}{
		{"missing inPath", map[string]any{"inPath": "nope", "outPath": "a.tar"}, false, os.ErrNotExist},
		{"inPath escapes", map[string]any{"inPath": "../", "outPath": "a.tar"}, true, steps.ErrPathEscape},
		{"outPath escapes", map[string]any{"inPath": "src", "outPath": "/tmp/a.tar"}, true, steps.ErrPathEscape},
		{"outPath is workspace", map[string]any{"inPath": "src", "outPath": "."}, true, steps.ErrInvalidConfig},
		{"gzip not a bool", map[string]any{"inPath": "src", "outPath": "a.tar", "gzip": "yes"}, true, steps.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, map[string][]byte{"src/a": []byte("a")})
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, tarstep.New(), sc)
			if !errors.Is(err, tt.wantErr) || steps.IsTerminal(err) != tt.terminal {
				t.Fatalf("Run() = %v, want an error wrapping %v (terminal: %v)", err, tt.wantErr, tt.terminal)
			}
			if diff := cmp.Diff(before, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
			}
		})
	}
}
