package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// DefaultMaxAttempts is PushOptions.MaxAttempts when unset.
const DefaultMaxAttempts = 10

// PushOptions says where and how Push pushes.
type PushOptions struct {
	// Branch is the remote branch to push HEAD to. Default: the checked-out branch.
	Branch string
	// Force overwrites the remote branch; remote changes are not integrated. Default false.
	Force bool
	// MaxAttempts bounds the integrate-and-push rounds after a rejected push. Default 10.
	MaxAttempts int
	// Backoff is the delay before integrate-and-push round n+1 (n ≥ 1). Default
	// DefaultBackoff.
	Backoff func(n int) time.Duration
	// Cache, when set, receives the pushed commit, so that the next clone of the branch
	// needs no fetch while nobody else pushes. Default nil.
	Cache *Cache
	// Lease, when set, serialises pushes to the branch across processes: Push holds the
	// lease PushLeaseKey(url, branch) while it pushes and integrates, so that a push found
	// behind is integrated and normally succeeds at the second attempt. (The branch is
	// fetched before the first attempt only when this process pushed to it since the clone
	// was made: otherwise the remote's advertisement, which every push reads, tells whether
	// it moved, and no packfile is sent when it did.) Forced pushes take no lease. Default
	// nil: pushes are serialised within the process only.
	Lease PushLease
}

// DefaultBackoff is 1 s × 1.5^(n-1), plus up to half of that again at random, capped at 30 s:
// cenkalti/backoff's exponential schedule centred on 1.25 s × 1.5^(n-1) with ±20% jitter,
// which spans the same range.
func DefaultBackoff(n int) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     1250 * time.Millisecond,
		RandomizationFactor: 0.2,
		Multiplier:          1.5,
		// Its lowest, 0.8 × 37.5 s, is the cap: once grown that far, every delay is 30 s.
		MaxInterval: 37500 * time.Millisecond,
	}
	b.Reset()
	d := b.NextBackOff()
	for i := 1; i < min(n, backoffSteps); i++ {
		d = b.NextBackOff()
	}
	return min(d, maxBackoff)
}

const (
	maxBackoff = 30 * time.Second
	// backoffSteps is how many rounds take DefaultBackoff to its cap (1.5^9 > 30).
	backoffSteps = 10
)

// Push pushes HEAD to the remote branch o.Branch and returns the SHA it pushed.
//
// Push first pushes HEAD as it is. When the remote rejects it because the branch moved (a
// non-fast-forward; from a shallow clone go-git reports "object not found" instead), Push
// fetches the branch, replays the local commits that are not on it onto it (AlwaysRebase),
// moves HEAD and the working tree there, and pushes again, up to o.MaxAttempts rounds with
// o.Backoff between them. A conflict while replaying is a *ConflictError; running out of
// attempts wraps ErrPushRejected. Pushing what the remote already has succeeds, so Push may be
// repeated. Pushes to the same URL and branch are serialised within the process, and across
// processes with o.Lease.
func (r *Repo) Push(ctx context.Context, o PushOptions) (string, error) {
	target := o.Branch
	if target == "" {
		b, err := r.Branch()
		if err != nil {
			return "", err
		}
		if b == "" {
			return "", fmt.Errorf("push %s: %w: name the target branch", r.dir, ErrDetachedHead)
		}
		target = b
	}
	maxAttempts, backoff := o.MaxAttempts, o.Backoff
	if maxAttempts < 1 {
		maxAttempts = DefaultMaxAttempts
	}
	if backoff == nil {
		backoff = DefaultBackoff
	}
	head, err := r.pushRounds(ctx, target, o.Force, o.Lease, maxAttempts, backoff)
	if err != nil {
		return "", err
	}
	if o.Cache != nil {
		// Outside the push lock: the next push of the branch need not wait for this.
		o.Cache.put(r.url, r.repo.Storer, plumbing.NewHash(head))
	}
	return head, nil
}

// pushRounds pushes HEAD to target, integrating and retrying as Push describes, holding the
// process-wide lock of the URL and branch and, unless forced, lease's.
func (r *Repo) pushRounds(ctx context.Context, target string, force bool, lease PushLease, maxAttempts int, backoff func(int) time.Duration) (string, error) {
	key := PushLeaseKey(r.url, target)
	// The process's lock first: one lease request per process and branch at a time, and
	// the process's pushes queue here in order.
	unlock, err := pushLocks.lock(ctx, key)
	if err != nil {
		return "", err
	}
	defer unlock()
	if lease != nil && !force {
		release, err := lease.Acquire(ctx, key)
		if err != nil {
			return "", fmt.Errorf("push %s to %s: %w", target, r.url, err)
		}
		defer release()
	}
	if !force && r.behindLastPush(key, target) {
		// This process pushed to the branch since this clone was made: the push would be
		// refused, so integrate before the first attempt rather than after it.
		if err := r.integrate(ctx, target); err != nil {
			return "", fmt.Errorf("integrate %s from %s: %w", target, r.url, err)
		}
	}

	for round := 0; ; round++ {
		head, err := r.Head()
		if err != nil {
			return "", err
		}
		err = r.pushCommit(ctx, plumbing.NewHash(head), target, force)
		if err == nil {
			if !force {
				lastPushed.Store(key, plumbing.NewHash(head))
			}
			return head, nil
		}
		if !isRejected(err) {
			return "", fmt.Errorf("push %s to %s: %w", target, r.url, err)
		}
		if round >= maxAttempts {
			return "", fmt.Errorf("push %s to %s: %w after %d attempts: %v", target, r.url, ErrPushRejected, round+1, err)
		}
		if round > 0 {
			if err := sleep(ctx, backoff(round)); err != nil {
				return "", fmt.Errorf("push %s to %s: %w", target, r.url, err)
			}
		}
		if !force {
			if err := r.integrate(ctx, target); err != nil {
				return "", fmt.Errorf("integrate %s from %s: %w", target, r.url, err)
			}
		}
	}
}

// lastPushed maps a push lease key to the commit this process last pushed there (not
// forced): a clone whose remote-tracking branch is not that commit was made before the push.
var lastPushed sync.Map

// behindLastPush reports whether this process pushed to branch (lease key key) since the
// repository last heard of the remote branch.
func (r *Repo) behindLastPush(key, branch string) bool {
	pushed, ok := lastPushed.Load(key)
	if !ok {
		return false
	}
	upstream, err := r.repo.Reference(plumbing.NewRemoteReferenceName(remoteName, branch), true)
	return err == nil && upstream.Hash() != pushed.(plumbing.Hash)
}

// PushTag pushes the local tag to the remote. A tag the remote already has with the same
// target is success; with another target, an error.
func (r *Repo) PushTag(ctx context.Context, tag string) error {
	name := plumbing.NewTagReferenceName(tag)
	if _, err := r.repo.Reference(name, false); err != nil {
		return fmt.Errorf("push tag %s: %w", tag, err)
	}
	auth, err := r.remoteAuth(ctx)
	if err != nil {
		return err
	}
	err = r.repo.PushContext(ctx, &git.PushOptions{
		RemoteName:      remoteName,
		RefSpecs:        []config.RefSpec{config.RefSpec(name + ":" + name)},
		Auth:            auth,
		InsecureSkipTLS: r.insecure,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("push tag %s to %s: %w", tag, r.url, err)
	}
	return nil
}

// pushCommit pushes commit to the remote branch. The refspec names the commit, not HEAD:
// go-git skips symbolic references as sources.
func (r *Repo) pushCommit(ctx context.Context, commit plumbing.Hash, branch string, force bool) error {
	auth, err := r.remoteAuth(ctx)
	if err != nil {
		return err
	}
	spec := commit.String() + ":" + plumbing.NewBranchReferenceName(branch).String()
	if force {
		spec = "+" + spec
	}
	err = r.repo.PushContext(ctx, &git.PushOptions{
		RemoteName:      remoteName,
		RefSpecs:        []config.RefSpec{config.RefSpec(spec)},
		Auth:            auth,
		InsecureSkipTLS: r.insecure,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// isRejected reports whether a push failed because the remote branch moved: go-git's own
// fast-forward check, the remote's rejections, and go-git's "object not found" when the
// fast-forward check walks past the end of a shallow clone.
func isRejected(err error) bool {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "fetch first", "cannot lock ref", "incorrect old value", "failed to update ref", "stale info"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
