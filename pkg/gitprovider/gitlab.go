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

// gitlab speaks the GitLab REST API v4 merge requests, on gitlab.com or any host.
type gitlab struct {
	t       *transport
	project string // /projects/{url-encoded full path}
}

func newGitLab(t *transport, r repoURL, c secret.Credentials) (*gitlab, error) {
	if !strings.Contains(r.path, "/") {
		return nil, fmt.Errorf("%w: path %q is not <group>/<project>", ErrBadRepoURL, r.path)
	}
	if c.Password != "" {
		if c.Username == "oauth2" { // an OAuth access token, as git uses it
			t.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+c.Password) }
		} else {
			t.auth = func(req *http.Request) { req.Header.Set("PRIVATE-TOKEN", c.Password) }
		}
	}
	return &gitlab{t: t, project: "/projects/" + url.PathEscape(r.path)}, nil
}

// glMR is the merge request object of GET /projects/:id/merge_requests/:iid.
type glMR struct {
	IID                 int       `json:"iid"`
	WebURL              string    `json:"web_url"`
	State               string    `json:"state"` // opened, closed, locked, merged
	SHA                 string    `json:"sha"`
	MergeCommitSHA      string    `json:"merge_commit_sha"`
	SquashCommitSHA     string    `json:"squash_commit_sha"`
	SourceBranch        string    `json:"source_branch"`
	TargetBranch        string    `json:"target_branch"`
	Draft               bool      `json:"draft"`
	HasConflicts        bool      `json:"has_conflicts"`
	DetailedMergeStatus string    `json:"detailed_merge_status"`
	CreatedAt           time.Time `json:"created_at"`
}

func (m glMR) pr() PR {
	pr := PR{Number: m.IID, URL: m.WebURL, HeadBranch: m.SourceBranch, BaseBranch: m.TargetBranch, HeadSHA: m.SHA, CreatedAt: m.CreatedAt}
	switch m.State {
	case "merged":
		pr.State = StateMerged
		// A squash merge records squash_commit_sha; a fast-forward merge neither, the
		// target branch then points at the source's head.
		pr.MergeCommit = defaultTo(defaultTo(m.MergeCommitSHA, m.SquashCommitSHA), m.SHA)
	case "opened", "locked":
		pr.State = StateOpen
	default:
		pr.State = StateClosed
	}
	switch m.DetailedMergeStatus {
	case "mergeable":
		pr.Mergeable = Mergeable
	case "conflict":
		pr.Mergeable = Conflicting
	case "checking", "unchecked", "preparing", "approvals_syncing", "":
		pr.Mergeable = Unknown
	default: // draft_status, ci_must_pass, ci_still_running, not_approved, need_rebase, …
		pr.Mergeable, pr.BlockedBy = Blocked, m.DetailedMergeStatus
	}
	if m.HasConflicts {
		pr.Mergeable = Conflicting
	}
	return pr
}

func (g *gitlab) list(ctx context.Context, head, base string) ([]PR, error) {
	q := url.Values{"source_branch": {head}, "target_branch": {base}, "state": {"all"}, "per_page": {"100"}}
	var mrs []glMR
	if _, err := g.t.do(ctx, http.MethodGet, g.project+"/merge_requests?"+q.Encode(), nil, &mrs); err != nil {
		return nil, err
	}
	out := make([]PR, 0, len(mrs))
	for _, m := range mrs {
		out = append(out, m.pr())
	}
	return out, nil
}

func (g *gitlab) create(ctx context.Context, n NewPR) (PR, error) {
	body := map[string]any{"source_branch": n.Head, "target_branch": n.Base, "title": n.Title, "description": n.Description}
	if len(n.Labels) > 0 {
		body["labels"] = strings.Join(n.Labels, ",")
	}
	var m glMR
	if _, err := g.t.do(ctx, http.MethodPost, g.project+"/merge_requests", body, &m); err != nil {
		// 409 {"message": ["Another open merge request already exists for this source branch: !5"]}
		if ae, status := apiErrorStatus(err); status == http.StatusConflict {
			return PR{}, asKind(ErrAlreadyExists, ae)
		}
		return PR{}, err
	}
	return m.pr(), nil
}

func (g *gitlab) get(ctx context.Context, number int) (PR, error) {
	var m glMR
	if _, err := g.t.do(ctx, http.MethodGet, fmt.Sprintf("%s/merge_requests/%d", g.project, number), nil, &m); err != nil {
		return PR{}, err
	}
	return m.pr(), nil
}

func (g *gitlab) merge(ctx context.Context, pr PR, method string) (string, error) {
	body := map[string]any{"squash": method == "squash"}
	if pr.HeadSHA != "" {
		body["sha"] = pr.HeadSHA
	}
	var m glMR
	_, err := g.t.do(ctx, http.MethodPut, fmt.Sprintf("%s/merge_requests/%d/merge", g.project, pr.Number), body, &m)
	if err != nil {
		// 405: not mergeable now (draft, pipeline, approvals, closed); 406: branch cannot be
		// merged (conflicts, older GitLab); 409: sha no longer the source's head.
		switch ae, status := apiErrorStatus(err); status {
		case http.StatusMethodNotAllowed, http.StatusConflict:
			return "", asKind(ErrNotMergeable, ae)
		case http.StatusNotAcceptable:
			return "", asKind(ErrConflict, ae)
		}
		return "", err
	}
	got := m.pr()
	if got.State != StateMerged {
		return "", fmt.Errorf("%w: state %s after merge", ErrNotMergeable, m.State)
	}
	return got.MergeCommit, nil
}
