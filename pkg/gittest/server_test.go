package gittest_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gittest"
)

func TestServer(t *testing.T) {
	srv := gittest.NewServer(t)
	url := srv.Repo(t, "org/app", map[string]string{"a.txt": "a\n", "dir/b.txt": "b\n"})
	if want := srv.URL + "/org/app.git"; url != want || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("Repo() = %s, want %s on loopback", url, want)
	}
	first := srv.Head(t, "org/app", "main")
	second := srv.Commit(t, "org/app", "main", "change", map[string]string{"a.txt": "", "c.txt": "c\n"})

	if diff := cmp.Diff([]string{second, first}, srv.Log(t, "org/app", "main")); diff != "" {
		t.Errorf("Log() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c.txt", "dir/b.txt"}, srv.Files(t, "org/app", "main")); diff != "" {
		t.Errorf("Files() (-want +got):\n%s", diff)
	}
	if got := srv.ReadFile(t, "org/app", "main", "dir/b.txt"); got != "b\n" {
		t.Errorf("ReadFile() = %q, want b", got)
	}
	if got := srv.Head(t, "org/app", "nope"); got != "" {
		t.Errorf("Head(missing branch) = %q, want empty", got)
	}
	if got := srv.Fetches("org/app"); got != 0 {
		t.Errorf("Fetches() = %d before any fetch, want 0", got)
	}
	work := t.TempDir()
	gittest.RunGit(t, work, "-c", "protocol.version=0", "clone", "--quiet", url, "app")
	if got := srv.Fetches("org/app"); got != 1 {
		t.Errorf("Fetches() = %d after a clone, want 1", got)
	}
	if got := strings.TrimSpace(gittest.RunGit(t, work+"/app", "rev-parse", "HEAD")); got != second {
		t.Errorf("RunGit(rev-parse HEAD) = %q, want %s", got, second)
	}
}
