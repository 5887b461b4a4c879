package gitpush_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/lease"
	"github.com/drayhq/dray/pkg/steps/gitpush"
)

// recordingLease passes to a real lease and records the keys asked for and how many held a
// lease at once.
type recordingLease struct {
	next gitrepo.PushLease

	mu              sync.Mutex
	keys            map[string]int
	held, maxHeld   int
	acquireFailures int
}

func (l *recordingLease) Acquire(ctx context.Context, key string) (func(), error) {
	release, err := l.next.Acquire(ctx, key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.acquireFailures++
		return nil, err
	}
	l.keys[key]++
	l.held++
	l.maxHeld = max(l.maxHeld, l.held)
	return func() {
		l.mu.Lock()
		l.held--
		l.mu.Unlock()
		release()
	}, nil
}

// TestConcurrentPushesWithLease: eight promotions, each editing its own file, push to one
// branch at once through the NATS lease. Every push succeeds (the server sees exactly one
// push each, none rejected), under the lease of that repository branch, one at a time.
func TestConcurrentPushesWithLease(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	rec := &recordingLease{next: lease.New(bustest.Start(t).Connect(t).Locks), keys: map[string]int{}}
	push := gitpush.New(gitpush.WithLease(rec))
	const n = 8
	works := make([]string, n)
	for i := range works {
		works[i] = t.TempDir()
		prepare(t, url, works[i], map[string]string{fmt.Sprintf("stage-%d.yaml", i): "tag: v2\n"})
	}
	var mu sync.Mutex
	pushes := 0
	srv.OnPush(func(string) { mu.Lock(); pushes++; mu.Unlock() })

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, work := range works {
		wg.Go(func() { _, errs[i] = run(t, push, work, map[string]any{"path": "out"}) })
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("push %d: Run() = %v", i, err)
		}
	}
	want := []string{"app.yaml"}
	for i := range n {
		want = append(want, fmt.Sprintf("stage-%d.yaml", i))
	}
	if got := srv.Files(t, "deploy", "main"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("remote files = %v, want %v", got, want)
	}
	if got := len(srv.Log(t, "deploy", "main")); got != n+2 {
		t.Errorf("remote has %d commits, want %d", got, n+2)
	}
	if pushes != n {
		t.Errorf("the server saw %d pushes, want %d: each push should succeed at once", pushes, n)
	}
	key := gitrepo.PushLeaseKey(url, "main")
	if rec.keys[key] != n || len(rec.keys) != 1 || rec.maxHeld != 1 {
		t.Errorf("leases taken %v (at most %d at once), want %d of %s, one at a time", rec.keys, rec.maxHeld, n, key)
	}
}

// TestForcedPushTakesNoLease: a forced push (generateTargetBranch) overwrites its branch and
// integrates nothing, so it needs no turn.
func TestForcedPushTakesNoLease(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"app.yaml": "image: v1\n"})
	rec := &recordingLease{next: lease.New(bustest.Start(t).Connect(t).Locks), keys: map[string]int{}}
	work := t.TempDir()
	commit := prepare(t, url, work, map[string]string{"app.yaml": "image: v2\n"})
	mustRun(t, gitpush.New(gitpush.WithLease(rec)), work, map[string]any{"path": "out", "generateTargetBranch": true})
	if got := srv.Head(t, "deploy", gitpush.GeneratedBranchPrefix+"prod.01"); got != commit {
		t.Errorf("generated branch = %q, want %s", got, commit)
	}
	if len(rec.keys) != 0 {
		t.Errorf("leases taken %v, want none", rec.keys)
	}
}
