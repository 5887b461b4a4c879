package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// The default identity of commits made in a working tree, used when git-clone names no author.
const (
	DefaultAuthorName  = "Dray"
	DefaultAuthorEmail = "no-reply@dray.dev"
)

const remoteName = "origin"

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrNotRepository means a directory does not hold a Git working tree.
	ErrNotRepository = errors.New("not a git working tree")
	// ErrBranchNotFound means the remote has no such branch (and it was not to be created).
	ErrBranchNotFound = errors.New("branch not found on the remote")
	// ErrPathInUse means a clone's directory already holds something else.
	ErrPathInUse = errors.New("directory is not empty")
	// ErrDetachedHead means a branch was needed but HEAD is not on one.
	ErrDetachedHead = errors.New("HEAD is detached")
	// ErrDirtyWorktree means the working tree has uncommitted changes where none may be.
	ErrDirtyWorktree = errors.New("working tree has uncommitted changes")
	// ErrPushRejected means the remote kept rejecting the push until the attempts ran out.
	ErrPushRejected = errors.New("push rejected")
)

// ConflictError reports the files whose local and remote changes overlap, found while
// replaying local commits onto the remote branch.
type ConflictError struct {
	// Commit is the local commit that could not be replayed.
	Commit string
	// Paths are the conflicting files, slash-separated.
	Paths []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("merge conflict replaying commit %s: %s", short(e.Commit), strings.Join(e.Paths, ", "))
}

// Auth returns the credentials to use for the remote url, or nil for anonymous access. A nil
// Auth means anonymous access to every remote. This is where credential lookup (by project,
// type and URL) plugs in.
type Auth func(ctx context.Context, url string) (transport.AuthMethod, error)

func (a Auth) method(ctx context.Context, url string) (transport.AuthMethod, error) {
	if a == nil {
		return nil, nil
	}
	m, err := a(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", url, err)
	}
	return m, nil
}

// remoteAuth returns the credentials for the remote, once its URL has passed the transport
// check: every operation that reaches the remote asks it first.
func (r *Repo) remoteAuth(ctx context.Context) (transport.AuthMethod, error) {
	if err := r.transports.Check(r.url); err != nil {
		return nil, fmt.Errorf("remote %s: %w", remoteName, err)
	}
	return r.auth.method(ctx, r.url)
}

// Author is the identity recorded in commits.
type Author struct {
	Name  string
	Email string
}

// Repo is a working tree with its own .git directory and one remote, origin. A Repo is not
// safe for concurrent use.
type Repo struct {
	dir        string
	repo       *git.Repository
	auth       Auth
	transports Transports
	url        string
	insecure   bool
}

// Open opens the working tree at dir, which git-clone (Clone) made. auth finds credentials
// for its remote; nil means anonymous. It returns an error wrapping ErrNotRepository when dir
// holds no Git working tree. Its remote is reached only over the network transports unless
// an option allows more (WithTransports): the working tree's .git/config is the workspace's,
// which earlier steps could have written.
func Open(dir string, auth Auth, opts ...OpenOption) (*Repo, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("open %s: %w", dir, ErrNotRepository)
		}
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	return newRepo(dir, repo, auth, o.transports)
}

// OpenOption configures Open.
type OpenOption func(*openOptions)

type openOptions struct{ transports Transports }

// WithTransports allows the remote to use the transports t names beyond https, http and ssh.
// Default none.
func WithTransports(t Transports) OpenOption { return func(o *openOptions) { o.transports = t } }

func newRepo(dir string, repo *git.Repository, auth Auth, transports Transports) (*Repo, error) {
	repo, err := rescanOnMiss(repo)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	r := &Repo{dir: dir, repo: repo, auth: auth, transports: transports}
	remote, err := repo.Remote(remoteName)
	if err != nil {
		return nil, fmt.Errorf("open %s: remote %s: %w", dir, remoteName, err)
	}
	if urls := remote.Config().URLs; len(urls) > 0 {
		r.url = urls[0]
	}
	cfg, err := repo.Config()
	if err != nil {
		return nil, fmt.Errorf("open %s: read config: %w", dir, err)
	}
	r.insecure = cfg.Raw.Section("http").Option("sslVerify") == "false"
	return r, nil
}

// Dir returns the working tree's directory.
func (r *Repo) Dir() string { return r.dir }

// URL returns the URL of the remote, origin.
func (r *Repo) URL() string { return r.url }

// Head returns the SHA of the commit HEAD points to.
func (r *Repo) Head() (string, error) {
	head, err := r.repo.Head()
	if err != nil {
		return "", fmt.Errorf("read HEAD of %s: %w", r.dir, err)
	}
	return head.Hash().String(), nil
}

// Branch returns the short name of the checked-out branch, or "" when HEAD is detached.
func (r *Repo) Branch() (string, error) {
	head, err := r.repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", fmt.Errorf("read HEAD of %s: %w", r.dir, err)
	}
	if head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
		return "", nil
	}
	return head.Target().Short(), nil
}

// Author returns the identity recorded for commits in this working tree (user.name and
// user.email in .git/config), or Dray <no-reply@dray.dev> when none is.
func (r *Repo) Author() (Author, error) {
	cfg, err := r.repo.Config()
	if err != nil {
		return Author{}, fmt.Errorf("read config of %s: %w", r.dir, err)
	}
	a := Author{Name: cfg.User.Name, Email: cfg.User.Email}
	if a.Name == "" {
		a.Name = DefaultAuthorName
	}
	if a.Email == "" {
		a.Email = DefaultAuthorEmail
	}
	return a, nil
}

// configure records the author and the TLS setting in .git/config, so later steps that open
// this working tree use them.
func (r *Repo) configure(author Author, insecure bool) error {
	cfg, err := r.repo.Config()
	if err != nil {
		return fmt.Errorf("read config of %s: %w", r.dir, err)
	}
	setIdentity(cfg, author, insecure)
	if err := r.repo.SetConfig(cfg); err != nil {
		return fmt.Errorf("write config of %s: %w", r.dir, err)
	}
	r.insecure = insecure
	return nil
}

// setIdentity sets the author (empty fields defaulting to Dray <no-reply@dray.dev>) and the
// TLS setting in cfg.
func setIdentity(cfg *config.Config, author Author, insecure bool) {
	if author.Name == "" {
		author.Name = DefaultAuthorName
	}
	if author.Email == "" {
		author.Email = DefaultAuthorEmail
	}
	cfg.User.Name, cfg.User.Email = author.Name, author.Email
	if insecure {
		cfg.Raw.Section("http").SetOption("sslVerify", "false")
	} else {
		cfg.Raw.Section("http").RemoveOption("sslVerify")
	}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
