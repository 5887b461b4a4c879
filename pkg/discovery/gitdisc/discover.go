package gitdisc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/gitrepo"
)

// Commit selection strategies (commitSelectionStrategy).
const (
	NewestFromBranch = "NewestFromBranch"
	SemVer           = "SemVer"
	Lexical          = "Lexical"
	NewestTag        = "NewestTag"
)

// ErrInvalidSubscription is wrapped by errors about a subscription that can never be
// discovered as written: an unknown strategy, a bad regex, path filter, since or constraint.
var ErrInvalidSubscription = errors.New("invalid git subscription")

// Options are what Discover needs besides the subscription.
type Options struct {
	// Auth authenticates to the remote; nil means anonymous.
	Auth transport.AuthMethod
	// Cache, when set, remembers each subscription's last result with the remote references
	// it came from; an unchanged branch head or tag set reuses it without fetching.
	Cache *Cache
	// ListRefs, when set, lists the remote's references in Discover's place, by calling list
	// or by answering from a listing it shares: many Warehouses watching one repository then
	// make one ls-remote per refresh. Default: Discover lists them itself.
	ListRefs func(ctx context.Context, repoURL string, list func(context.Context) ([]*plumbing.Reference, error)) ([]*plumbing.Reference, error)
	// Transports are allowed beyond https, http and ssh (gitrepo.Transports). Default none:
	// a file:// URL or a local path is an error wrapping gitrepo.ErrTransportNotAllowed, and
	// nothing is read from the host's filesystem.
	Transports gitrepo.Transports
}

// Discover lists what sub offers now, best first, at most discoveryLimit commits. It first
// lists the remote's references (one cheap request) and fetches objects only when they
// changed since the result in o.Cache. Errors name the repository (without credentials).
// It is safe for concurrent use.
func Discover(ctx context.Context, sub v1.GitSubscription, o Options) (v1.GitDiscoveryResult, error) {
	res := v1.GitDiscoveryResult{RepoURL: sub.RepoURL}
	repo := redact(sub.RepoURL)
	if err := o.Transports.Check(sub.RepoURL); err != nil {
		return res, fmt.Errorf("discover %s: repoURL: %w", repo, err)
	}
	s, err := newSelection(sub)
	if err != nil {
		return res, fmt.Errorf("%w %s: %w", ErrInvalidSubscription, repo, err)
	}
	list := func(ctx context.Context) ([]*plumbing.Reference, error) {
		rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{sub.RepoURL}})
		return rem.ListContext(ctx, &git.ListOptions{Auth: o.Auth, InsecureSkipTLS: sub.InsecureSkipTLSVerify})
	}
	var refs []*plumbing.Reference
	if o.ListRefs != nil {
		refs, err = o.ListRefs(ctx, sub.RepoURL, list)
	} else {
		refs, err = list(ctx)
	}
	if err != nil {
		return res, fmt.Errorf("list references of %s: %w", repo, err)
	}
	want, fingerprint, err := s.wanted(refs)
	if err != nil {
		return res, fmt.Errorf("discover %s: %w", repo, err)
	}
	key := cacheKey(sub)
	if commits, ok := o.Cache.get(key, fingerprint); ok {
		res.Commits = commits
		return res, nil
	}
	if len(want.refSpecs) == 0 {
		res.Commits = []v1.DiscoveredCommit{}
		o.Cache.put(key, fingerprint, res.Commits)
		return res, nil // no tag is a candidate
	}
	r, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return res, err
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{sub.RepoURL}}); err != nil {
		return res, err
	}
	err = r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin", RefSpecs: want.refSpecs, Depth: want.depth, Auth: o.Auth,
		Tags: git.NoTags, InsecureSkipTLS: sub.InsecureSkipTLSVerify,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return res, fmt.Errorf("fetch %s from %s: %w", want.what, repo, err)
	}
	commits, err := s.discover(ctx, r)
	if err != nil {
		return res, fmt.Errorf("discover %s in %s: %w", want.what, repo, err)
	}
	if commits == nil {
		commits = []v1.DiscoveredCommit{}
	}
	o.Cache.put(key, fingerprint, commits)
	res.Commits = commits
	return res, nil
}

// redact drops the user information from a repository URL, so errors never carry a password.
func redact(repoURL string) string {
	u, err := url.Parse(repoURL)
	if err != nil || u.User == nil {
		return repoURL
	}
	u.User = nil
	return u.String()
}

// parseSince reads the since field (RFC 3339); empty means no bound.
func parseSince(since string) (time.Time, error) {
	if since == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, since)
	if err != nil {
		return time.Time{}, fmt.Errorf("since %q is not an RFC 3339 time, e.g. 2025-01-01T00:00:00Z", since)
	}
	return t, nil
}
