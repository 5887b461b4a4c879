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

// bitbucket speaks the Bitbucket Cloud REST API 2.0.
type bitbucket struct {
	t    *transport
	repo string // /repositories/{workspace}/{repo_slug}
}

func newBitbucket(t *transport, r repoURL, c secret.Credentials) (*bitbucket, error) {
	ws, slug, err := r.ownerName()
	if err != nil {
		return nil, err
	}
	if c.Password != "" {
		if c.Username == "" || c.Username == "x-token-auth" { // an access token
			t.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+c.Password) }
		} else { // username and app password (or API token)
			t.auth = func(req *http.Request) { req.SetBasicAuth(c.Username, c.Password) }
		}
	}
	return &bitbucket{t: t, repo: "/repositories/" + url.PathEscape(ws) + "/" + url.PathEscape(slug)}, nil
}

// bbPR is the pullrequest object of GET /repositories/{ws}/{slug}/pullrequests/{id}. Its
// commit hashes are abbreviated (12 hex digits).
type bbPR struct {
	ID    int    `json:"id"`
	State string `json:"state"` // OPEN, MERGED, DECLINED, SUPERSEDED
	Draft bool   `json:"draft"`
	Links struct {
		HTML struct {
			Href string `json:"href"`
		} `json:"html"`
	} `json:"links"`
	Source      bbEndpoint `json:"source"`
	Destination bbEndpoint `json:"destination"`
	MergeCommit *struct {
		Hash string `json:"hash"`
	} `json:"merge_commit"`
	CreatedOn time.Time `json:"created_on"`
}

type bbEndpoint struct {
	Branch struct {
		Name string `json:"name"`
	} `json:"branch"`
	Commit *struct {
		Hash string `json:"hash"`
	} `json:"commit"`
}

func (p bbPR) pr() PR {
	pr := PR{Number: p.ID, URL: p.Links.HTML.Href, HeadBranch: p.Source.Branch.Name, BaseBranch: p.Destination.Branch.Name, CreatedAt: p.CreatedOn}
	if p.Source.Commit != nil {
		pr.HeadSHA = p.Source.Commit.Hash
	}
	switch p.State {
	case "MERGED":
		pr.State = StateMerged
		if p.MergeCommit != nil {
			pr.MergeCommit = p.MergeCommit.Hash
		}
	case "OPEN":
		pr.State = StateOpen
	default:
		pr.State = StateClosed
	}
	if p.Draft {
		pr.Mergeable, pr.BlockedBy = Blocked, "draft"
	}
	return pr
}

// fullHash expands an abbreviated commit hash with GET /repositories/{ws}/{slug}/commit/{hash}.
func (b *bitbucket) fullHash(ctx context.Context, pr PR) (PR, error) {
	if pr.MergeCommit == "" || len(pr.MergeCommit) == 40 {
		return pr, nil
	}
	var c struct {
		Hash string `json:"hash"`
	}
	if _, err := b.t.do(ctx, http.MethodGet, b.repo+"/commit/"+url.PathEscape(pr.MergeCommit), nil, &c); err != nil {
		return pr, fmt.Errorf("expand merge commit %s: %w", pr.MergeCommit, err)
	}
	pr.MergeCommit = c.Hash
	return pr, nil
}

func (b *bitbucket) list(ctx context.Context, head, base string) ([]PR, error) {
	q := url.Values{
		"q":       {fmt.Sprintf("source.branch.name = %q AND destination.branch.name = %q", head, base)},
		"state":   {"OPEN", "MERGED", "DECLINED", "SUPERSEDED"},
		"pagelen": {"50"},
	}
	path := b.repo + "/pullrequests?" + q.Encode()
	var out []PR
	for range 20 {
		var page struct {
			Values []bbPR `json:"values"`
			Next   string `json:"next"`
		}
		if _, err := b.t.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, p := range page.Values {
			out = append(out, p.pr())
		}
		next, ok := strings.CutPrefix(page.Next, b.t.base)
		if !ok {
			break
		}
		path = next
	}
	return out, nil
}

func (b *bitbucket) create(ctx context.Context, n NewPR) (PR, error) {
	body := map[string]any{
		"title":       n.Title,
		"description": n.Description,
		"source":      map[string]any{"branch": map[string]any{"name": n.Head}},
		"destination": map[string]any{"branch": map[string]any{"name": n.Base}},
	}
	var p bbPR
	if _, err := b.t.do(ctx, http.MethodPost, b.repo+"/pullrequests", body, &p); err != nil {
		// 400 {"type": "error", "error": {"message": "There are no changes to be pulled"}}
		if ae, status := apiErrorStatus(err); status == http.StatusBadRequest && strings.Contains(strings.ToLower(ae.Message), "no changes") {
			return PR{}, asKind(ErrNoChanges, ae)
		}
		return PR{}, err
	}
	return p.pr(), nil
}

func (b *bitbucket) get(ctx context.Context, number int) (PR, error) {
	var p bbPR
	if _, err := b.t.do(ctx, http.MethodGet, fmt.Sprintf("%s/pullrequests/%d", b.repo, number), nil, &p); err != nil {
		return PR{}, err
	}
	return b.fullHash(ctx, p.pr())
}

func (b *bitbucket) merge(ctx context.Context, pr PR, method string) (string, error) {
	body := map[string]any{"type": "pullrequest_merge_parameters", "merge_strategy": defaultTo(method, "merge_commit")}
	var p bbPR
	status, err := b.t.do(ctx, http.MethodPost, fmt.Sprintf("%s/pullrequests/%d/merge", b.repo, pr.Number), body, &p)
	if err != nil {
		// 400 {"type": "error", "error": {"message": "…"}}: conflicts, or checks/approvals
		// missing; 555: the merge timed out and may still finish.
		if ae, s := apiErrorStatus(err); s == http.StatusBadRequest || s == 555 {
			if strings.Contains(strings.ToLower(ae.Message), "conflict") {
				return "", asKind(ErrConflict, ae)
			}
			return "", asKind(ErrNotMergeable, ae)
		}
		return "", err
	}
	if status == http.StatusAccepted { // merged asynchronously; poll the pull request later
		return "", fmt.Errorf("%w: merge in progress", ErrNotMergeable)
	}
	got, err := b.fullHash(ctx, p.pr())
	if err != nil {
		return "", err
	}
	if got.State != StateMerged {
		return "", fmt.Errorf("%w: %s after merge", ErrNotMergeable, p.State)
	}
	return got.MergeCommit, nil
}
