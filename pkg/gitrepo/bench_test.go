package gitrepo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
)

// BenchmarkCloneCommitPush times what a four-step promotion asks of Git, with the clone cache
// an executor keeps, against git http-backend on loopback: clone-ms, commit-ms and push-ms
// per round.
func BenchmarkCloneCommitPush(b *testing.B) {
	srv := gittest.NewServer(b)
	url := srv.Repo(b, "app", map[string]string{"env/dev/values.yaml": "image:\n  tag: v0\n"})
	cache, err := gitrepo.NewCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var tc, tm, tp time.Duration
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "wt")
		s := time.Now()
		r, err := gitrepo.Clone(b.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", Cache: cache})
		if err != nil {
			b.Fatal(err)
		}
		tc += time.Since(s)
		if err := os.WriteFile(filepath.Join(dir, "env/dev/values.yaml"), []byte(fmt.Sprintf("image:\n  tag: v%d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
		s = time.Now()
		if _, _, err := r.Commit("x", nil); err != nil {
			b.Fatal(err)
		}
		tm += time.Since(s)
		s = time.Now()
		if _, err := r.Push(b.Context(), gitrepo.PushOptions{Cache: cache}); err != nil {
			b.Fatal(err)
		}
		tp += time.Since(s)
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((tc/n).Microseconds())/1000, "clone-ms")
	b.ReportMetric(float64((tm/n).Microseconds())/1000, "commit-ms")
	b.ReportMetric(float64((tp/n).Microseconds())/1000, "push-ms")
}
