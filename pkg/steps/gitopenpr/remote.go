package gitopenpr

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitrepo"
)

// errNoBranch means a branch the step needs is not on the remote.
var errNoBranch = errors.New("branch does not exist")

// branches is what the step learns from the remote over Git.
type branches struct {
	sourceHead *object.Commit
	sameTree   bool // the source and target heads hold the same files
}

// readBranches lists the remote's branches and fetches the heads of source and target,
// depth 1, into memory. A missing branch wraps errNoBranch.
func readBranches(ctx context.Context, auth gitrepo.Auth, url, source, target string, insecure bool) (*branches, error) {
	var am transport.AuthMethod
	if auth != nil {
		a, err := auth(ctx, url)
		if err != nil {
			return nil, err
		}
		am = a
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}})
	if err != nil {
		return nil, err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: am, InsecureSkipTLS: insecure})
	if err != nil {
		return nil, fmt.Errorf("list branches of %s: %w", gitprovider.RedactURL(url), err)
	}
	heads := map[string]plumbing.Hash{}
	for _, r := range refs {
		if r.Name().IsBranch() {
			heads[r.Name().Short()] = r.Hash()
		}
	}
	for _, b := range []string{source, target} {
		if _, ok := heads[b]; !ok {
			kind := "source"
			if b == target {
				kind = "target"
			}
			return nil, fmt.Errorf("%s branch %q does not exist: %w", kind, b, errNoBranch)
		}
	}
	specs := []config.RefSpec{config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/origin/%s", source, source))}
	if heads[target] != heads[source] {
		specs = append(specs, config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/origin/%s", target, target)))
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: specs, Depth: 1, Auth: am, InsecureSkipTLS: insecure, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("fetch %s and %s from %s: %w", source, target, gitprovider.RedactURL(url), err)
	}
	src, err := repo.CommitObject(heads[source])
	if err != nil {
		return nil, fmt.Errorf("read head of %s: %w", source, err)
	}
	tgt, err := repo.CommitObject(heads[target])
	if err != nil {
		return nil, fmt.Errorf("read head of %s: %w", target, err)
	}
	return &branches{sourceHead: src, sameTree: src.TreeHash == tgt.TreeHash}, nil
}
