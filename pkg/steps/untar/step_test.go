package untar_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tarstep"
	"github.com/drayhq/dray/pkg/steps/untar"
)

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, untar.Name, untar.Config{})
}

// entry is one tar entry: a file with body, a directory (typ tar.TypeDir) or a symlink.
type entry struct {
	name string
	typ  byte
	body string
	link string
	size int64 // declared size when not len(body)
}

func file(name, body string) entry { return entry{name: name, typ: tar.TypeReg, body: body} }
func dir(name string) entry        { return entry{name: name, typ: tar.TypeDir} }
func link(name, target string) entry {
	return entry{name: name, typ: tar.TypeSymlink, link: target}
}

// archive builds a tar archive of es, gzipped when gz is set.
func archive(t *testing.T, gz bool, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	}
	for _, e := range es {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			hdr.Mode, hdr.Size = 0o755, 0
		}
		if e.typ == tar.TypeSymlink || e.typ == tar.TypeLink {
			hdr.Size = 0
		}
		if e.size > 0 {
			hdr.Size = e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil && e.size == 0 {
				t.Fatal(err)
			}
		}
	}
	_ = tw.Close() // an archive with a short body does not close cleanly; it is still usable
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestRun(t *testing.T) {
	chart := []entry{dir("app/"), file("app/Chart.yaml", "name: app\n"), dir("app/templates/"),
		file("app/templates/deploy.yaml", "kind: Deployment\n"), file("app/README.md", "docs\n"), link("app/latest", "Chart.yaml")}
	tests := []struct {
		name   string
		gz     bool
		es     []entry
		config map[string]any
		want   map[string]string // the tree at out
	}{
		{
			name: "plain", es: chart, config: map[string]any{},
			want: map[string]string{"app/Chart.yaml": "name: app\n", "app/templates/deploy.yaml": "kind: Deployment\n",
				"app/README.md": "docs\n", "app/latest": "-> Chart.yaml"},
		},
		{
			name: "gzip detected, strip and ignore", gz: true, es: chart, config: map[string]any{"stripComponents": 1, "ignore": "*.md\n"},
			want: map[string]string{"Chart.yaml": "name: app\n", "templates/deploy.yaml": "kind: Deployment\n", "latest": "-> Chart.yaml"},
		},
		{
			name: "entries with too few parts skipped", es: []entry{file("top.txt", "t"), file("a/b/c.txt", "c")}, config: map[string]any{"stripComponents": 2},
			want: map[string]string{"c.txt": "c"},
		},
		{
			name: "dot-slash names and parents created", es: []entry{dir("./"), file("./x/y/z.txt", "z")}, config: map[string]any{},
			want: map[string]string{"x/y/z.txt": "z"},
		},
		{
			name: "hard links and devices skipped", es: []entry{file("a", "a"), {name: "h", typ: tar.TypeLink, link: "a"}, {name: "fifo", typ: tar.TypeFifo}}, config: map[string]any{},
			want: map[string]string{"a": "a"},
		},
		{
			name: "later entry replaces earlier symlink", es: []entry{file("t", "t"), link("a", "t"), file("a", "new")}, config: map[string]any{},
			want: map[string]string{"t": "t", "a": "new"},
		},
		{
			name: "inner dot-dot that stays inside", es: []entry{file("a/../b.txt", "b"), link("d/l", "../b.txt")}, config: map[string]any{},
			want: map[string]string{"b.txt": "b", "d/l": "-> ../b.txt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.config["inPath"], tt.config["outPath"] = "in.tar", "out/chart"
			sc := steptest.NewContext(t, tt.config, map[string][]byte{"in.tar": archive(t, tt.gz, tt.es...), "out/chart/stale.yaml": []byte("old")})
			if _, err := steptest.Run(t, untar.New(), sc); err != nil {
				t.Fatalf("Run() = %v, want nil", err)
			}
			if diff := cmp.Diff(tt.want, steptest.Snapshot(t, filepath.Join(sc.WorkDir, "out/chart"))); diff != "" {
				t.Errorf("extracted tree mismatch (-want +got):\n%s", diff)
			}
			leftovers, _ := filepath.Glob(filepath.Join(sc.WorkDir, "out", ".*"))
			if len(leftovers) != 0 {
				t.Errorf("temporary directories left behind: %v", leftovers)
			}
		})
	}
}

// TestRunRejects feeds archives built to escape outPath, or too large: each fails the step
// (terminal), and nothing is written anywhere, outPath included.
func TestRunRejects(t *testing.T) {
	tests := []struct {
		name    string
		es      []entry
		wantErr error
	}{
		{"dot-dot entry", []entry{file("ok.txt", "ok"), file("../evil.txt", "x")}, steps.ErrPathEscape},
		{"nested dot-dot entry", []entry{file("a/../../evil.txt", "x")}, steps.ErrPathEscape},
		{"absolute entry", []entry{file("/tmp/evil.txt", "x")}, steps.ErrPathEscape},
		{"absolute symlink", []entry{link("passwd", "/etc/passwd")}, steps.ErrPathEscape},
		{"symlink out", []entry{link("up", "../../..")}, steps.ErrPathEscape},
		{"symlink out from a subdirectory", []entry{link("a/b/up", "../../../x")}, steps.ErrPathEscape},
		{"write through own symlink", []entry{link("d", "."), file("d/x", "x")}, steps.ErrPathEscape},
		{"symlink then file through it", []entry{dir("real/"), link("l", "real"), file("l/evil", "x")}, steps.ErrPathEscape},
		{"file over 50 MiB", []entry{{name: "big", typ: tar.TypeReg, size: untar.MaxFileSize + 1}}, untar.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, map[string]any{"inPath": "in.tar", "outPath": "deep/out"},
				map[string][]byte{"in.tar": archive(t, false, tt.es...), "deep/out/keep.txt": []byte("keep")})
			before := steptest.Snapshot(t, filepath.Dir(sc.WorkDir))
			_, err := steptest.Run(t, untar.New(), sc)
			if !errors.Is(err, tt.wantErr) || !steps.IsTerminal(err) {
				t.Fatalf("Run() = %v, want a terminal error wrapping %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("Run() = %q, want it to say nothing was written", err)
			}
			if diff := cmp.Diff(before, steptest.Snapshot(t, filepath.Dir(sc.WorkDir))); diff != "" {
				t.Errorf("files changed by a rejected archive (-before +after):\n%s", diff)
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
		{"missing archive", map[string]any{"inPath": "nope.tar", "outPath": "out"}, false, os.ErrNotExist},
		{"corrupt archive", map[string]any{"inPath": "junk.tar", "outPath": "out"}, false, nil},
		{"negative strip", map[string]any{"inPath": "in.tar", "outPath": "out", "stripComponents": -1}, true, steps.ErrInvalidConfig},
		{"outPath escapes", map[string]any{"inPath": "in.tar", "outPath": "../out"}, true, steps.ErrPathEscape},
		{"outPath is workspace", map[string]any{"inPath": "in.tar", "outPath": "./"}, true, steps.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := steptest.NewContext(t, tt.config, map[string][]byte{
				"in.tar": archive(t, false, file("a", "a")), "junk.tar": bytes.Repeat([]byte("junk"), 200),
			})
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, untar.New(), sc)
			if err == nil || steps.IsTerminal(err) != tt.terminal || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Run() = %v, want an error wrapping %v (terminal: %v)", err, tt.wantErr, tt.terminal)
			}
			if diff := cmp.Diff(before, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
			}
		})
	}
}

// TestTarThenUntar round-trips a tree through the tar and untar steps.
func TestTarThenUntar(t *testing.T) {
	tree := map[string][]byte{"src/a.yaml": []byte("a: 1\n"), "src/sub/b.yaml": []byte("b: 2\n")}
	sc := steptest.NewContext(t, map[string]any{"inPath": "src", "outPath": "a.tgz", "gzip": true}, tree)
	if _, err := steptest.Run(t, tarstep.New(), sc); err != nil {
		t.Fatalf("tar: Run() = %v", err)
	}
	sc.Config = map[string]any{"inPath": "a.tgz", "outPath": "dst"}
	if _, err := steptest.Run(t, untar.New(), sc); err != nil {
		t.Fatalf("untar: Run() = %v", err)
	}
	want := steptest.Snapshot(t, filepath.Join(sc.WorkDir, "src"))
	if diff := cmp.Diff(want, steptest.Snapshot(t, filepath.Join(sc.WorkDir, "dst"))); diff != "" {
		t.Errorf("round trip mismatch (-src +dst):\n%s", diff)
	}
}

func TestExtractTotalLimit(t *testing.T) {
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	data := archive(t, false, file("a", "12345"), file("b", "67890"), file("c", "x"))
	_, err = untar.Extract(t.Context(), bytes.NewReader(data), root, untar.Options{MaxTotalSize: 10})
	if !errors.Is(err, untar.ErrTooLarge) {
		t.Errorf("Extract(11 bytes, limit 10) = %v, want ErrTooLarge", err)
	}
	if _, err := untar.Extract(t.Context(), bytes.NewReader(data), root, untar.Options{MaxTotalSize: 11}); err != nil {
		t.Errorf("Extract(11 bytes, limit 11) = %v, want nil", err)
	}
}
