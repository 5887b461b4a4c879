package gitprovider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrNotFastForward means a branch update was refused because the branch moved meanwhile.
var ErrNotFastForward = errors.New("update is not a fast forward")

// GitData reaches GitHub's Git database API (docs.github.com/rest/git) of one repository:
// blobs, trees, commits and references. Commits created through it without an author or
// committer are made by the token's user and signed by GitHub, so they show as Verified.
type GitData struct {
	g *github
}

// GitData returns the Git database API of the Client's repository; it wraps
// ErrUnsupportedProvider for a provider other than GitHub.
func (c *Client) GitData() (*GitData, error) {
	g, ok := c.api.(*github)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the Git database API is GitHub's", ErrUnsupportedProvider, c.provider)
	}
	return &GitData{g: g}, nil
}

// TreeEntry is one entry of CreateTree: a file at Path with Mode (100644, 100755, 120000)
// holding the blob SHA, or, with SHA empty, the deletion of Path.
type TreeEntry struct {
	Path, Mode, SHA string
}

// NewCommit is what CreateCommit makes: no author and no committer, so that GitHub signs it.
type NewCommit struct {
	Message string
	Tree    string
	Parents []string
}

// Commit is a commit as the API reports it.
type Commit struct {
	SHA, Tree string
	// Verified is GitHub's verification.verified; Reason its verification.reason, e.g.
	// valid or unsigned.
	Verified bool
	Reason   string
}

type ghCommit struct {
	SHA  string `json:"sha"`
	Tree struct {
		SHA string `json:"sha"`
	} `json:"tree"`
	Verification struct {
		Verified bool   `json:"verified"`
		Reason   string `json:"reason"`
	} `json:"verification"`
}

func (c ghCommit) commit() Commit {
	return Commit{SHA: c.SHA, Tree: c.Tree.SHA, Verified: c.Verification.Verified, Reason: c.Verification.Reason}
}

// CreateBlob stores content (POST /repos/{owner}/{repo}/git/blobs) and returns its SHA.
func (d *GitData) CreateBlob(ctx context.Context, content []byte) (string, error) {
	var out struct {
		SHA string `json:"sha"`
	}
	body := map[string]any{"content": base64.StdEncoding.EncodeToString(content), "encoding": "base64"}
	if _, err := d.g.t.do(ctx, http.MethodPost, d.g.repo+"/git/blobs", body, &out); err != nil {
		return "", fmt.Errorf("create blob: %w", err)
	}
	return out.SHA, nil
}

// CreateTree makes the tree of base with entries changed (POST /repos/{owner}/{repo}/git/trees)
// and returns its SHA.
func (d *GitData) CreateTree(ctx context.Context, base string, entries []TreeEntry) (string, error) {
	tree := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		var sha any // null deletes the path
		if e.SHA != "" {
			sha = e.SHA
		}
		tree = append(tree, map[string]any{"path": e.Path, "mode": e.Mode, "type": "blob", "sha": sha})
	}
	var out struct {
		SHA string `json:"sha"`
	}
	body := map[string]any{"base_tree": base, "tree": tree}
	if _, err := d.g.t.do(ctx, http.MethodPost, d.g.repo+"/git/trees", body, &out); err != nil {
		return "", fmt.Errorf("create tree: %w", err)
	}
	return out.SHA, nil
}

// CreateCommit makes c (POST /repos/{owner}/{repo}/git/commits) with neither author nor
// committer: GitHub records the token's user and signs the commit.
func (d *GitData) CreateCommit(ctx context.Context, c NewCommit) (Commit, error) {
	var out ghCommit
	body := map[string]any{"message": c.Message, "tree": c.Tree, "parents": c.Parents}
	if _, err := d.g.t.do(ctx, http.MethodPost, d.g.repo+"/git/commits", body, &out); err != nil {
		return Commit{}, fmt.Errorf("create commit: %w", err)
	}
	return out.commit(), nil
}

// GetCommit reads commit sha (GET /repos/{owner}/{repo}/git/commits/{sha}).
func (d *GitData) GetCommit(ctx context.Context, sha string) (Commit, error) {
	var out ghCommit
	if _, err := d.g.t.do(ctx, http.MethodGet, d.g.repo+"/git/commits/"+url.PathEscape(sha), nil, &out); err != nil {
		return Commit{}, fmt.Errorf("read commit %s: %w", sha, err)
	}
	return out.commit(), nil
}

// CreateBranch makes branch point at sha (POST /repos/{owner}/{repo}/git/refs).
func (d *GitData) CreateBranch(ctx context.Context, branch, sha string) error {
	body := map[string]any{"ref": "refs/heads/" + branch, "sha": sha}
	if _, err := d.g.t.do(ctx, http.MethodPost, d.g.repo+"/git/refs", body, nil); err != nil {
		return fmt.Errorf("create branch %s: %w", branch, err)
	}
	return nil
}

// UpdateBranch moves branch to sha (PATCH /repos/{owner}/{repo}/git/refs/heads/{branch}); without
// force a branch that moved meanwhile is refused with ErrNotFastForward.
func (d *GitData) UpdateBranch(ctx context.Context, branch, sha string, force bool) error {
	body := map[string]any{"sha": sha, "force": force}
	if _, err := d.g.t.do(ctx, http.MethodPatch, d.g.repo+"/git/refs/heads/"+escapeRef(branch), body, nil); err != nil {
		if ae, status := apiErrorStatus(err); status == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(ae.Message), "fast forward") {
			return fmt.Errorf("update branch %s: %w", branch, asKind(ErrNotFastForward, ae))
		}
		return fmt.Errorf("update branch %s: %w", branch, err)
	}
	return nil
}

// escapeRef escapes each segment of a branch name (feature/x stays a path).
func escapeRef(branch string) string {
	parts := strings.Split(branch, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
