package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// errNotCached makes Clone fall back to a plain clone.
var errNotCached = errors.New("not cached")

// cacheable reports whether cloneCached can make the clone o asks for: a branch, without
// submodules.
func cacheable(o CloneOptions) bool {
	return o.Cache != nil && o.Branch != "" && o.Tag == "" && o.Commit == "" && !o.RecurseSubmodules
}

// cloneCached makes dir the same depth-1 clone of branch o.Branch that clone makes, asking the
// remote only for its references when o.Cache holds the branch head, and fetching it
// otherwise (then adding it to the cache). A missing branch is ErrBranchNotFound, or is
// created when o.Create is set. It returns errNotCached, with dir untouched, when the remote
// is empty.
func cloneCached(ctx context.Context, dir string, o CloneOptions) (*Repo, error) {
	auth, err := o.Auth.method(ctx, o.URL)
	if err != nil {
		return nil, err
	}
	ep, err := transport.NewEndpoint(o.URL)
	if err != nil {
		return nil, err
	}
	ep.InsecureSkipTLS = o.InsecureSkipTLS
	cl, err := client.NewClient(ep)
	if err != nil {
		return nil, err
	}
	// One session for the advertisement and, on a miss, the fetch: over HTTP that is one GET
	// info/refs and one POST git-upload-pack, as a plain clone makes.
	sess, err := cl.NewUploadPackSession(ep, auth)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sess.Close() }()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil, errNotCached
	}
	if err != nil {
		return nil, err
	}
	refs, err := adv.AllReferences()
	if err != nil {
		return nil, err
	}
	branch := plumbing.NewBranchReferenceName(o.Branch)
	ref, err := refs.Reference(branch)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound) && o.Create:
		return createBranch(ctx, dir, o, auth)
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		return nil, fmt.Errorf("%w: %s", ErrBranchNotFound, o.Branch)
	case err != nil:
		return nil, err
	}
	head := ref.Hash()

	repo, err := git.PlainInit(dir, false)
	if err != nil {
		return nil, err
	}
	// Objects go in before anything reads them: go-git indexes the packfiles on first use.
	packDir := filepath.Join(dir, git.GitDirName, "objects", "pack")
	if o.Cache.restore(o.URL, head, packDir) {
		shallow, err := shallowOf(repo.Storer, head)
		if err == nil {
			var r *Repo
			if r, err = finishClone(repo, dir, o, head, shallow); err == nil {
				return r, nil
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// A snapshot that does not make a clone is dropped, and the commit fetched.
		o.Cache.drop(o.URL, head)
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if repo, err = git.PlainInit(dir, false); err != nil {
			return nil, err
		}
	}
	shallow, err := fetchShallow(ctx, sess, adv, repo.Storer, head)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", o.Branch, err)
	}
	o.Cache.store(o.URL, head, packDir)
	return finishClone(repo, dir, o, head, shallow)
}

// finishClone makes repo, in dir and holding the objects of head, the depth-1 clone of branch
// o.Branch at head that go-git's single-branch clone makes: origin with its fetch refspec, the
// branch and its remote-tracking branch at head, the branch's upstream, HEAD on the branch,
// the shallow boundary, the index and the working tree; and .git/config records o.Author and
// o.InsecureSkipTLS, as Clone does.
func finishClone(repo *git.Repository, dir string, o CloneOptions, head plumbing.Hash, shallow []plumbing.Hash) (*Repo, error) {
	if err := repo.Storer.SetShallow(shallow); err != nil {
		return nil, err
	}
	branch := plumbing.NewBranchReferenceName(o.Branch)
	cfg, err := repo.Config()
	if err != nil {
		return nil, err
	}
	remote := &config.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{o.URL},
		Fetch: []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:refs/remotes/%s/%s", branch, remoteName, o.Branch))},
	}
	upstream := &config.Branch{Name: o.Branch, Remote: remoteName, Merge: branch}
	if err := remote.Validate(); err != nil {
		return nil, err
	}
	if err := upstream.Validate(); err != nil {
		return nil, err
	}
	// Sections in the order a clone writes them: go-git keeps those of the file, and adds
	// empty ones when it reads it. (They are empty in a new repository.)
	for _, section := range []string{"remote", "branch", "user"} {
		cfg.Raw.RemoveSection(section)
		cfg.Raw.Section(section)
	}
	cfg.Remotes[remoteName], cfg.Branches[o.Branch] = remote, upstream
	setIdentity(cfg, o.Author, o.InsecureSkipTLS)
	if err := repo.SetConfig(cfg); err != nil { // once: every write of it costs
		return nil, err
	}
	for _, ref := range []*plumbing.Reference{
		plumbing.NewHashReference(branch, head),
		plumbing.NewSymbolicReference(plumbing.HEAD, branch),
		plumbing.NewHashReference(plumbing.NewRemoteReferenceName(remoteName, o.Branch), head),
	} {
		if err := repo.Storer.SetReference(ref); err != nil {
			return nil, err
		}
	}
	w, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := w.Reset(&git.ResetOptions{Mode: git.MergeReset, Commit: head}); err != nil {
		return nil, fmt.Errorf("check out %s: %w", o.Branch, err)
	}
	return newRepo(dir, repo, o.Auth, o.Transports)
}

// shallowOf returns the shallow boundary of a depth-1 clone of commit: the commit, unless it
// has no parents.
func shallowOf(s storer.EncodedObjectStorer, commit plumbing.Hash) ([]plumbing.Hash, error) {
	c, err := object.GetCommit(s, commit)
	if err != nil {
		return nil, err
	}
	if c.NumParents() == 0 {
		return nil, nil
	}
	return []plumbing.Hash{commit}, nil
}

// fetchShallow fetches commit at depth 1 into s over sess, whose references adv were already
// advertised, and returns the shallow boundary the remote reported.
func fetchShallow(ctx context.Context, sess transport.UploadPackSession, adv *packp.AdvRefs, s storer.Storer, commit plumbing.Hash) ([]plumbing.Hash, error) {
	req := packp.NewUploadPackRequestFromCapabilities(adv.Capabilities)
	req.Wants = []plumbing.Hash{commit}
	req.Depth = packp.DepthCommits(1)
	if err := req.Capabilities.Set(capability.Shallow); err != nil {
		return nil, err
	}
	if adv.Capabilities.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
			return nil, err
		}
	}
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Close() }()
	var pack io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		pack = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		pack = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	if err := packfile.UpdateObjectStorage(s, pack); err != nil {
		return nil, err
	}
	return resp.Shallows, nil
}
