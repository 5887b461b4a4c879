package gitprovider

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/secret"
)

// github speaks the GitHub REST API v3 (github.com, GHE.com and GitHub Enterprise Server).
type github struct {
	t     *transport
	owner string
	repo  string // /repos/{owner}/{repo}
}

func newGitHub(t *transport, r repoURL, c secret.Credentials) (*github, error) {
	owner, name, err := r.ownerName()
	if err != nil {
		return nil, err
	}
	t.header = http.Header{"Accept": {"application/vnd.github+json"}, "X-Github-Api-Version": {"2022-11-28"}}
	if c.Password != "" {
		t.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+c.Password) }
	}
	return &github{t: t, owner: owner, repo: "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)}, nil
}

// ghPull is the pull request object of GET /repos/{owner}/{repo}/pulls/{n} and of the list.
// The list omits merged, mergeable and mergeable_state.
type ghPull struct {
	Number         int        `json:"number"`
	HTMLURL        string     `json:"html_url"`
	State          string     `json:"state"` // open, closed
	Draft          bool       `json:"draft"`
	Merged         bool       `json:"merged"`
	MergedAt       *time.Time `json:"merged_at"`
	MergeCommitSHA string     `json:"merge_commit_sha"`
	Mergeable      *bool      `json:"mergeable"`
	MergeableState string     `json:"mergeable_state"`
	CreatedAt      time.Time  `json:"created_at"`
	Head           ghRef      `json:"head"`
	Base           ghRef      `json:"base"`
}

type ghRef struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

func (p ghPull) pr() PR {
	pr := PR{Number: p.Number, URL: p.HTMLURL, HeadBranch: p.Head.Ref, BaseBranch: p.Base.Ref, HeadSHA: p.Head.SHA, CreatedAt: p.CreatedAt}
	switch {
	case p.Merged || p.MergedAt != nil:
		pr.State, pr.MergeCommit = StateMerged, p.MergeCommitSHA
	case p.State == "open":
		pr.State = StateOpen
	default:
		pr.State = StateClosed
	}
	// mergeable is null while GitHub computes it; mergeable_state says why a merge would fail.
	switch {
	case p.Draft:
		pr.Mergeable, pr.BlockedBy = Blocked, "draft"
	case p.Mergeable == nil || p.MergeableState == "unknown":
		pr.Mergeable = Unknown
	case p.MergeableState == "dirty":
		pr.Mergeable = Conflicting
	case !*p.Mergeable || p.MergeableState == "blocked" || p.MergeableState == "behind":
		pr.Mergeable, pr.BlockedBy = Blocked, p.MergeableState
	default: // clean, unstable, has_hooks
		pr.Mergeable = Mergeable
	}
	return pr
}

func (g *github) list(ctx context.Context, head, base string) ([]PR, error) {
	q := url.Values{"head": {g.owner + ":" + head}, "base": {base}, "state": {"all"}, "per_page": {"100"}}
	var pulls []ghPull
	if _, err := g.t.do(ctx, http.MethodGet, g.repo+"/pulls?"+q.Encode(), nil, &pulls); err != nil {
		return nil, err
	}
	out := make([]PR, 0, len(pulls))
	for _, p := range pulls {
		out = append(out, p.pr())
	}
	return out, nil
}

func (g *github) create(ctx context.Context, n NewPR) (PR, error) {
	body := map[string]any{"title": n.Title, "head": n.Head, "base": n.Base, "body": n.Description}
	var p ghPull
	if _, err := g.t.do(ctx, http.MethodPost, g.repo+"/pulls", body, &p); err != nil {
		// 422 Validation Failed, errors[].message "A pull request already exists for o:b." or
		// "No commits between main and feature".
		if ae, status := apiErrorStatus(err); status == http.StatusUnprocessableEntity {
			switch msg := strings.ToLower(ae.Message); {
			case strings.Contains(msg, "already exists"):
				return PR{}, asKind(ErrAlreadyExists, ae)
			case strings.Contains(msg, "no commits between"):
				return PR{}, asKind(ErrNoChanges, ae)
			}
		}
		return PR{}, err
	}
	if len(n.Labels) > 0 {
		// Labels are an issue attribute: POST /repos/{owner}/{repo}/issues/{n}/labels.
		path := fmt.Sprintf("%s/issues/%d/labels", g.repo, p.Number)
		if _, err := g.t.do(ctx, http.MethodPost, path, map[string]any{"labels": n.Labels}, nil); err != nil {
			return p.pr(), fmt.Errorf("label pull request %d: %w", p.Number, err)
		}
	}
	return p.pr(), nil
}

func (g *github) get(ctx context.Context, number int) (PR, error) {
	var p ghPull
	if _, err := g.t.do(ctx, http.MethodGet, fmt.Sprintf("%s/pulls/%d", g.repo, number), nil, &p); err != nil {
		return PR{}, err
	}
	return p.pr(), nil
}

func (g *github) merge(ctx context.Context, pr PR, method string) (string, error) {
	body := map[string]any{"merge_method": defaultTo(method, "merge")}
	if pr.HeadSHA != "" {
		body["sha"] = pr.HeadSHA // merge only what was checked
	}
	var res struct {
		SHA     string `json:"sha"`
		Merged  bool   `json:"merged"`
		Message string `json:"message"`
	}
	_, err := g.t.do(ctx, http.MethodPut, fmt.Sprintf("%s/pulls/%d/merge", g.repo, pr.Number), body, &res)
	if err != nil {
		// 405 "Pull Request is not mergeable", 409 "Head branch was modified".
		if ae, status := apiErrorStatus(err); status == http.StatusMethodNotAllowed || status == http.StatusConflict {
			return "", asKind(ErrNotMergeable, ae)
		}
		return "", err
	}
	if !res.Merged {
		return "", fmt.Errorf("%w: %s", ErrNotMergeable, res.Message)
	}
	return res.SHA, nil
}

func defaultTo(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
