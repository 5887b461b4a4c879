package workspace_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/workspace"
)

// tarGz builds a gzipped tar of headers; regular files hold "pwned".
func tarGz(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len("pwned"))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("WriteHeader(%s) = %v", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte("pwned")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckoutRejectsEscapingArchive(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	file := func(name string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644}
	}
	// base holds the cache and, beside it, a directory the archives aim at.
	base := t.TempDir()
	cache, outside := filepath.Join(base, "cache"), filepath.Join(base, "outside")
	tests := []struct {
		name    string
		entries []*tar.Header
	}{
		{name: "parent", entries: []*tar.Header{file("ok.txt"), file("../evil")}},
		{name: "out of the cache", entries: []*tar.Header{file("../../evil")}},
		{name: "nested parent", entries: []*tar.Header{file("sub/../../evil")}},
		{name: "absolute", entries: []*tar.Header{file(filepath.Join(outside, "evil"))}},
		{
			name: "through a symlink",
			entries: []*tar.Header{
				{Typeflag: tar.TypeSymlink, Name: "link", Linkname: outside, Mode: 0o777},
				file("link/evil"),
			},
		},
		{
			name: "through a relative symlink",
			entries: []*tar.Header{
				{Typeflag: tar.TypeSymlink, Name: "up", Linkname: "../..", Mode: 0o777},
				file("up/evil"),
			},
		},
	}
	s := newStore(t, b.Workspaces, cache)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.MkdirAll(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			promotion := "p-" + tt.name
			if _, err := b.Workspaces.PutBytes(t.Context(), workspace.ObjectName(promotion, 1), tarGz(t, tt.entries...)); err != nil {
				t.Fatal(err)
			}
			tr, err := s.Checkout(t.Context(), promotion, 1)
			if err == nil {
				tr.Release()
				t.Errorf("Checkout(%q, 1) of an archive with %s = nil error, want it rejected", promotion, tt.entries[len(tt.entries)-1].Name)
			}
			// Nothing exists outside the workspace directories but the cache and outside
			// themselves.
			var stray []string
			err = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(base, path)
				if filepath.Dir(rel) == "cache" && d.IsDir() {
					return fs.SkipDir // a promotion's own workspace
				}
				stray = append(stray, filepath.ToSlash(rel))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(stray)
			if diff := cmp.Diff([]string{".", "cache", "outside"}, stray); diff != "" {
				t.Errorf("files outside the workspace after Checkout (-want +got):\n%s", diff)
			}
		})
	}
}
