package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// CloneOptions says what Clone checks out. At most one of Branch, Tag and Commit may be set;
// none means the remote's default branch.
type CloneOptions struct {
	// URL is the remote, recorded as origin.
	URL string
	// Branch is the branch to check out.
	Branch string
	// Tag is the tag to check out, detached.
	Tag string
	// Commit is the commit SHA to check out, detached. Such a clone has full history.
	Commit string
	// Create makes a missing Branch on the remote: an orphan branch with an empty commit
	// "Initial commit", pushed at once.
	Create bool
	// Author is recorded in .git/config for later commits; empty fields default to
	// Dray <no-reply@dray.dev>.
	Author Author
	// InsecureSkipTLS skips TLS verification, for this clone and every later operation on
	// it. Default false.
	InsecureSkipTLS bool
	// RecurseSubmodules initialises and updates submodules recursively. Default false.
	RecurseSubmodules bool
	// Auth finds credentials; nil means anonymous.
	Auth Auth
	// Transports are the transports allowed beyond https, http and ssh, for URL and for
	// submodules. Default none: a file:// URL or a local path is an error wrapping
	// ErrTransportNotAllowed.
	Transports Transports
	// Cache, when set, makes a branch clone (without submodules) ask the remote only for its
	// references when the cache holds the branch head, and adds what it fetches otherwise.
	// The clone is the same either way. Default nil: every clone fetches.
	Cache *Cache
}

// Clone clones o.URL into dir and checks out what o names. Branch, tag and default-branch
// clones are shallow (depth 1).
//
// Clone is idempotent: when dir already holds a clone of o.URL with the requested checkout it
// records o.Author and returns it. A dir that holds anything else is an error wrapping
// ErrPathInUse. A missing branch is an error wrapping ErrBranchNotFound unless o.Create is set.
// When Clone fails, dir is left as it was found. A URL whose transport o.Transports does not
// allow is an error wrapping ErrTransportNotAllowed, and nothing is read from it.
func Clone(ctx context.Context, dir string, o CloneOptions) (*Repo, error) {
	if err := o.Transports.Check(o.URL); err != nil {
		return nil, fmt.Errorf("clone into %s: %w", dir, err)
	}
	if n := btoi(o.Branch != "") + btoi(o.Tag != "") + btoi(o.Commit != ""); n > 1 {
		return nil, errors.New("clone: at most one of branch, tag and commit may be set")
	}
	if o.Create && o.Branch == "" {
		return nil, errors.New("clone: create needs a branch")
	}
	existed, empty, err := inspectDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clone %s into %s: %w", o.URL, dir, err)
	}
	if existed && !empty {
		r, err := reuse(dir, o)
		if err != nil {
			return nil, fmt.Errorf("clone %s into %s: %w", o.URL, dir, err)
		}
		return r, nil
	}
	var r *Repo
	if cacheable(o) {
		r, err = cloneCached(ctx, dir, o)
	}
	if r == nil && (err == nil || errors.Is(err, errNotCached)) {
		r, err = clone(ctx, dir, o)
	}
	if err != nil {
		// Leave dir as it was: absent, or empty.
		_ = os.RemoveAll(dir)
		if existed {
			_ = os.Mkdir(dir, 0o755)
		}
		return nil, fmt.Errorf("clone %s into %s: %w", o.URL, dir, err)
	}
	return r, nil
}

func clone(ctx context.Context, dir string, o CloneOptions) (*Repo, error) {
	auth, err := o.Auth.method(ctx, o.URL)
	if err != nil {
		return nil, err
	}
	co := &git.CloneOptions{
		URL:             o.URL,
		Auth:            auth,
		RemoteName:      remoteName,
		SingleBranch:    true,
		Depth:           1,
		Tags:            git.NoTags,
		InsecureSkipTLS: o.InsecureSkipTLS,
	}
	switch {
	case o.Branch != "":
		co.ReferenceName = plumbing.NewBranchReferenceName(o.Branch)
	case o.Tag != "":
		co.ReferenceName = plumbing.NewTagReferenceName(o.Tag)
	case o.Commit != "":
		// A commit may be anywhere in history: take all of it.
		co.SingleBranch, co.Depth, co.NoCheckout = false, 0, true
	}
	repo, err := git.PlainCloneContext(ctx, dir, false, co)
	if err != nil && o.Branch != "" {
		if exists, lerr := remoteHasBranch(ctx, o.URL, o.Branch, auth, o.InsecureSkipTLS); lerr == nil && !exists {
			if !o.Create {
				return nil, fmt.Errorf("%w: %s", ErrBranchNotFound, o.Branch)
			}
			_ = os.RemoveAll(dir)
			return createBranch(ctx, dir, o, auth)
		}
	}
	if err != nil {
		return nil, err
	}
	r, err := newRepo(dir, repo, o.Auth, o.Transports)
	if err != nil {
		return nil, err
	}
	if o.Commit != "" {
		if err := r.checkoutCommit(o.Commit); err != nil {
			return nil, err
		}
	}
	if o.RecurseSubmodules {
		if err := updateSubmodules(ctx, repo, o, int(git.DefaultSubmoduleRecursionDepth)); err != nil {
			return nil, err
		}
	}
	if err := r.configure(o.Author, o.InsecureSkipTLS); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Repo) checkoutCommit(rev string) error {
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return fmt.Errorf("find commit %s: %w", rev, err)
	}
	w, err := r.repo.Worktree()
	if err != nil {
		return err
	}
	if err := w.Checkout(&git.CheckoutOptions{Hash: *h, Force: true}); err != nil {
		return fmt.Errorf("check out commit %s: %w", rev, err)
	}
	return nil
}

// createBranch makes dir a repository whose branch o.Branch holds one empty orphan commit,
// and pushes that branch. If someone else created the branch meanwhile, it clones theirs.
func createBranch(ctx context.Context, dir string, o CloneOptions, auth transport.AuthMethod) (*Repo, error) {
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		return nil, err
	}
	branch := plumbing.NewBranchReferenceName(o.Branch)
	if _, err := repo.CreateRemote(&config.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{o.URL},
		Fetch: []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:refs/remotes/%s/%s", branch, remoteName, o.Branch))},
	}); err != nil {
		return nil, err
	}
	r, err := newRepo(dir, repo, o.Auth, o.Transports)
	if err != nil {
		return nil, err
	}
	if err := r.configure(o.Author, o.InsecureSkipTLS); err != nil {
		return nil, err
	}
	author, err := r.Author()
	if err != nil {
		return nil, err
	}
	empty, err := storeTree(repo.Storer, &object.Tree{})
	if err != nil {
		return nil, err
	}
	sig := object.Signature{Name: author.Name, Email: author.Email, When: time.Now()}
	commit, err := storeCommit(repo.Storer, &object.Commit{
		Author: sig, Committer: sig, Message: "Initial commit\n", TreeHash: empty,
	})
	if err != nil {
		return nil, err
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(branch, commit)); err != nil {
		return nil, err
	}
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branch)); err != nil {
		return nil, err
	}
	err = r.pushCommit(ctx, commit, o.Branch, false)
	switch {
	case err == nil:
		return r, nil
	case isRejected(err):
		// The branch appeared since we looked: check out that one instead.
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		o.Create = false
		return clone(ctx, dir, o)
	default:
		return nil, fmt.Errorf("push new branch %s: %w", o.Branch, err)
	}
}

// reuse returns the clone already in dir when it matches o: same remote, same checkout.
func reuse(dir string, o CloneOptions) (*Repo, error) {
	r, err := Open(dir, o.Auth)
	if err != nil {
		return nil, fmt.Errorf("%w (and not a clone of %s)", ErrPathInUse, o.URL)
	}
	if r.url != o.URL {
		return nil, fmt.Errorf("%w: holds a clone of %s", ErrPathInUse, r.url)
	}
	branch, err := r.Branch()
	if err != nil {
		return nil, err
	}
	head, err := r.Head()
	if err != nil {
		return nil, err
	}
	var ok bool
	switch {
	case o.Branch != "":
		ok = branch == o.Branch
	case o.Tag != "":
		ref, err := r.repo.Tag(o.Tag)
		if err == nil {
			h, err := r.repo.ResolveRevision(plumbing.Revision(ref.Name()))
			ok = err == nil && branch == "" && h.String() == head
		}
	case o.Commit != "":
		ok = branch == "" && strings.HasPrefix(head, strings.ToLower(o.Commit))
	default:
		ok = branch != ""
	}
	if !ok {
		return nil, fmt.Errorf("%w: holds another checkout of %s", ErrPathInUse, o.URL)
	}
	if err := r.configure(o.Author, o.InsecureSkipTLS); err != nil {
		return nil, err
	}
	return r, nil
}

// updateSubmodules initialises and updates the submodules of repo, and theirs, down to depth
// levels. go-git would do it within the clone, but would reach a submodule's URL, which the
// repository's .gitmodules names, without asking: each resolved URL passes o.Transports
// first, and gets its own credentials.
func updateSubmodules(ctx context.Context, repo *git.Repository, o CloneOptions, depth int) error {
	if depth <= 0 {
		return nil
	}
	w, err := repo.Worktree()
	if err != nil {
		return err
	}
	subs, err := w.Submodules()
	if err != nil {
		return fmt.Errorf("read submodules: %w", err)
	}
	for _, s := range subs {
		name := s.Config().Name
		if err := s.Init(); err != nil && !errors.Is(err, git.ErrSubmoduleAlreadyInitialized) {
			return fmt.Errorf("submodule %s: %w", name, err)
		}
		// Repository records the submodule's remote, a relative URL resolved against ours.
		sub, err := s.Repository()
		if err != nil {
			return fmt.Errorf("submodule %s: %w", name, err)
		}
		remote, err := sub.Remote(remoteName)
		if err != nil || len(remote.Config().URLs) == 0 {
			return fmt.Errorf("submodule %s: no remote URL", name)
		}
		url := remote.Config().URLs[0]
		if err := o.Transports.Check(url); err != nil {
			return fmt.Errorf("submodule %s: %w", name, err)
		}
		auth, err := o.Auth.method(ctx, url)
		if err != nil {
			return fmt.Errorf("submodule %s: %w", name, err)
		}
		if err := s.UpdateContext(ctx, &git.SubmoduleUpdateOptions{Init: true, Auth: auth}); err != nil {
			return fmt.Errorf("submodule %s: %w", name, err)
		}
		if err := updateSubmodules(ctx, sub, o, depth-1); err != nil {
			return fmt.Errorf("submodule %s: %w", name, err)
		}
	}
	return nil
}

func remoteHasBranch(ctx context.Context, url, branch string, auth transport.AuthMethod, insecure bool) (bool, error) {
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: remoteName, URLs: []string{url}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth, InsecureSkipTLS: insecure})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	want := plumbing.NewBranchReferenceName(branch)
	for _, ref := range refs {
		if ref.Name() == want {
			return true, nil
		}
	}
	return false, nil
}

// inspectDir reports whether dir exists and whether it is empty.
func inspectDir(dir string) (existed, empty bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, true, nil
	case err != nil:
		return false, false, err
	}
	return true, len(entries) == 0, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
