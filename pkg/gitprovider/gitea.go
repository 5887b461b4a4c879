package gitprovider

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/drayhq/dray/pkg/secret"
)

// gitea speaks the Gitea (and Forgejo) REST API v1, on any host.
type gitea struct {
	t    *transport
	repo string // /repos/{owner}/{repo}
}

// giteaPageSize is the limit asked for when listing; servers cap it (MAX_RESPONSE_ITEMS,
// default 50).
const giteaPageSize = 50

func newGitea(t *transport, r repoURL, c secret.Credentials) (*gitea, error) {
	owner, name, err := r.ownerName()
	if err != nil {
		return nil, err
	}
	if c.Password != "" {
		t.auth = func(req *http.Request) { req.Header.Set("Authorization", "token "+c.Password) }
	}
	return &gitea{t: t, repo: "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)}, nil
}

// gtPull is the PullRequest object of GET /repos/{owner}/{repo}/pulls/{index}.
type gtPull struct {
	Number         int       `json:"number"`
	HTMLURL        string    `json:"html_url"`
	State          string    `json:"state"` // open, closed
	Merged         bool      `json:"merged"`
	MergeCommitSHA *string   `json:"merge_commit_sha"`
	Mergeable      bool      `json:"mergeable"`
	Draft          bool      `json:"draft"`
	CreatedAt      time.Time `json:"created_at"`
	Head           gtBranch  `json:"head"`
	Base           gtBranch  `json:"base"`
}

type gtBranch struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

func (p gtPull) pr() PR {
	pr := PR{Number: p.Number, URL: p.HTMLURL, HeadBranch: p.Head.Ref, BaseBranch: p.Base.Ref, HeadSHA: p.Head.SHA, CreatedAt: p.CreatedAt}
	switch {
	case p.Merged:
		pr.State = StateMerged
		if p.MergeCommitSHA != nil {
			pr.MergeCommit = *p.MergeCommitSHA
		}
	case p.State == "open":
		pr.State = StateOpen
	default:
		pr.State = StateClosed
	}
	// Gitea's mergeable is false for conflicts and while it is still checking; it does not
	// tell the two apart, so it is left unreported and the merge call decides (409 for a
	// conflict, 405 for not yet).
	switch {
	case p.Draft:
		pr.Mergeable, pr.BlockedBy = Blocked, "draft"
	case p.Mergeable:
		pr.Mergeable = Mergeable
	}
	return pr
}

func (g *gitea) list(ctx context.Context, head, base string) ([]PR, error) {
	var out []PR
	for page := 1; page <= 20; page++ {
		q := url.Values{"state": {"all"}, "sort": {"newest"}, "limit": {fmt.Sprint(giteaPageSize)}, "page": {fmt.Sprint(page)}}
		var pulls []gtPull
		if _, err := g.t.do(ctx, http.MethodGet, g.repo+"/pulls?"+q.Encode(), nil, &pulls); err != nil {
			return nil, err
		}
		for _, p := range pulls {
			if p.Head.Ref == head && p.Base.Ref == base {
				out = append(out, p.pr())
			}
		}
		if len(pulls) < giteaPageSize {
			break
		}
	}
	return out, nil
}

func (g *gitea) create(ctx context.Context, n NewPR) (PR, error) {
	body := map[string]any{"head": n.Head, "base": n.Base, "title": n.Title, "body": n.Description}
	var p gtPull
	if _, err := g.t.do(ctx, http.MethodPost, g.repo+"/pulls", body, &p); err != nil {
		// 409: "pull request already exists for these targets"
		if ae, status := apiErrorStatus(err); status == http.StatusConflict {
			return PR{}, asKind(ErrAlreadyExists, ae)
		}
		return PR{}, err
	}
	return p.pr(), nil
}

func (g *gitea) get(ctx context.Context, number int) (PR, error) {
	var p gtPull
	if _, err := g.t.do(ctx, http.MethodGet, fmt.Sprintf("%s/pulls/%d", g.repo, number), nil, &p); err != nil {
		return PR{}, err
	}
	return p.pr(), nil
}

func (g *gitea) merge(ctx context.Context, pr PR, method string) (string, error) {
	// POST /repos/{owner}/{repo}/pulls/{index}/merge with MergePullRequestOption; the answer
	// is empty, so the merge commit is read afterwards.
	body := map[string]any{"Do": defaultTo(method, "merge")}
	if pr.HeadSHA != "" {
		body["head_commit_id"] = pr.HeadSHA
	}
	if _, err := g.t.do(ctx, http.MethodPost, fmt.Sprintf("%s/pulls/%d/merge", g.repo, pr.Number), body, nil); err != nil {
		// 405: not mergeable now (or already merged); 409: merge conflict or head moved.
		switch ae, status := apiErrorStatus(err); status {
		case http.StatusMethodNotAllowed:
			return "", asKind(ErrNotMergeable, ae)
		case http.StatusConflict:
			return "", asKind(ErrConflict, ae)
		}
		return "", err
	}
	got, err := g.get(ctx, pr.Number)
	if err != nil {
		return "", err
	}
	if got.State != StateMerged {
		return "", fmt.Errorf("%w: still %s after merge", ErrNotMergeable, got.State)
	}
	return got.MergeCommit, nil
}
