package gitrepo_test

import (
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/gittest"
)

// TestPushBaseAndDiff: the base of a push is the remote branch as cloned, also for a branch
// the remote does not have, and the diff from it to HEAD shows the local commit's change.
func TestPushBaseAndDiff(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n", "keep.txt": "x\n"})
	cloned := srv.Head(t, "app", "main")
	r := clone(t, url)
	writeFile(t, r, "values.yaml", "tag: v2\n")
	head := commit(t, r, "bump")

	for _, branch := range []string{"main", "feature"} {
		if base, err := r.PushBase(branch); err != nil || base != cloned {
			t.Errorf("PushBase(%q) = %q, %v; want %s", branch, base, err, cloned)
		}
	}
	diff, err := r.Diff(t.Context(), cloned, head)
	if err != nil {
		t.Fatalf("Diff() = %v", err)
	}
	for _, want := range []string{"diff --git a/values.yaml b/values.yaml\n", "\n-tag: v1\n", "\n+tag: v2\n"} {
		if !strings.Contains(diff, want) {
			t.Errorf("Diff() lacks %q:\n%s", want, diff)
		}
	}
	if strings.Contains(diff, "keep.txt") {
		t.Errorf("Diff() shows an unchanged file:\n%s", diff)
	}
	if diff, err := r.Diff(t.Context(), head, head); err != nil || diff != "" {
		t.Errorf("Diff(head, head) = %q, %v; want empty", diff, err)
	}
	all, err := r.Diff(t.Context(), "", head)
	if err != nil || !strings.Contains(all, "new file mode") || !strings.Contains(all, "+x\n") {
		t.Errorf(`Diff("", head) = %q, %v; want every file added`, all, err)
	}
	if _, err := r.Diff(t.Context(), strings.Repeat("1", 40), head); err == nil {
		t.Error("Diff() from a commit the clone lacks succeeded")
	}
}
