package gitprovidertest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
)

var (
	ghPulls  = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/pulls$`)
	ghPull   = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/pulls/(\d+)$`)
	ghMerge  = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/pulls/(\d+)/merge$`)
	ghLabels = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/issues/(\d+)/labels$`)
)

// github serves the GitHub REST API v3 (docs.github.com/rest/pulls).
func (s *Server) github(c *call) {
	notFound := func() {
		writeJSON(c.w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
	}
	number := func(re *regexp.Regexp) *PR {
		m := re.FindStringSubmatch(c.rest)
		n, _ := strconv.Atoi(m[1])
		return s.pr(n)
	}
	if s.githubGit(c) {
		return
	}
	switch {
	case ghPulls.MatchString(c.rest) && c.r.Method == http.MethodGet:
		q := c.r.URL.Query()
		head := q.Get("head") // "owner:branch"
		out := []any{}
		for _, p := range s.prs {
			state := map[bool]string{true: "open", false: "closed"}[p.State == "open"]
			if (head == "" || head == Owner+":"+p.Head) && (q.Get("base") == "" || q.Get("base") == p.Base) &&
				(q.Get("state") == "all" || q.Get("state") == state || (q.Get("state") == "" && state == "open")) {
				out = append(out, s.ghJSON(p, false))
			}
		}
		writeJSON(c.w, http.StatusOK, out)
	case ghPulls.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct{ Title, Head, Base, Body string }
		if !c.decode(&in) {
			return
		}
		if in.Head == "" || in.Base == "" || in.Title == "" {
			writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []any{map[string]any{"resource": "PullRequest", "code": "missing_field", "field": "title"}}})
			return
		}
		if s.findOpen(in.Head, in.Base) != nil {
			writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{
				"message": "Validation Failed",
				"errors": []any{map[string]any{"resource": "PullRequest", "code": "custom",
					"message": fmt.Sprintf("A pull request already exists for %s:%s.", Owner, in.Head)}},
				"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request", "status": "422"})
			return
		}
		p := s.add(PR{Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base})
		writeJSON(c.w, http.StatusCreated, s.ghJSON(p, true))
	case ghPull.MatchString(c.rest) && c.r.Method == http.MethodGet:
		p := number(ghPull)
		if p == nil {
			notFound()
			return
		}
		writeJSON(c.w, http.StatusOK, s.ghJSON(p, true))
	case ghMerge.MatchString(c.rest) && c.r.Method == http.MethodPut:
		p := number(ghMerge)
		if p == nil {
			notFound()
			return
		}
		var in struct {
			MergeMethod string `json:"merge_method"`
			SHA         string `json:"sha"`
		}
		if !c.decode(&in) {
			return
		}
		switch {
		case in.MergeMethod != "" && in.MergeMethod != "merge" && in.MergeMethod != "squash" && in.MergeMethod != "rebase":
			writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{"message": "Invalid request.\n\nmerge_method is not a valid merge method."})
		case p.State != "open" || p.Draft || p.Mergeable != Mergeable:
			writeJSON(c.w, http.StatusMethodNotAllowed, map[string]any{"message": "Pull Request is not mergeable", "documentation_url": "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", "status": "405"})
		case in.SHA != "" && in.SHA != p.HeadSHA:
			writeJSON(c.w, http.StatusConflict, map[string]any{"message": "Head branch was modified. Review and try the merge again.", "status": "409"})
		default:
			sha := merge(p, in.MergeMethod)
			writeJSON(c.w, http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
		}
	case ghLabels.MatchString(c.rest) && c.r.Method == http.MethodPost:
		p := number(ghLabels)
		if p == nil {
			notFound()
			return
		}
		var in struct{ Labels []string }
		if !c.decode(&in) {
			return
		}
		p.Labels = append(p.Labels, in.Labels...)
		out := []any{}
		for i, l := range p.Labels {
			out = append(out, map[string]any{"id": i + 1, "name": l})
		}
		writeJSON(c.w, http.StatusOK, out)
	default:
		notFound()
	}
}

// ghJSON renders p as GitHub does; the list omits merged, mergeable and mergeable_state.
func (s *Server) ghJSON(p *PR, full bool) map[string]any {
	state := "open"
	var mergedAt any
	if p.State != "open" {
		state = "closed"
	}
	if p.State == "merged" {
		mergedAt = p.Created.Add(1).Format("2006-01-02T15:04:05Z")
	}
	m := map[string]any{
		"url":              fmt.Sprintf("%s/api/v3/repos/%s/%s/pulls/%d", s.URL, Owner, Name, p.Number),
		"html_url":         fmt.Sprintf("%s/%s/%s/pull/%d", s.URL, Owner, Name, p.Number),
		"number":           p.Number,
		"state":            state,
		"title":            p.Title,
		"body":             p.Body,
		"draft":            p.Draft,
		"created_at":       p.Created.Format("2006-01-02T15:04:05Z"),
		"merged_at":        mergedAt,
		"merge_commit_sha": nullable(p.MergeCommit),
		"head":             map[string]any{"label": Owner + ":" + p.Head, "ref": p.Head, "sha": p.HeadSHA},
		"base":             map[string]any{"label": Owner + ":" + p.Base, "ref": p.Base, "sha": fakeSHA("base " + p.Base)},
	}
	if full {
		m["merged"] = p.State == "merged"
		switch {
		case p.State != "open":
			m["mergeable"], m["mergeable_state"] = nil, "unknown"
		case p.Draft:
			m["mergeable"], m["mergeable_state"] = true, "draft"
		case p.Mergeable == Conflicting:
			m["mergeable"], m["mergeable_state"] = false, "dirty"
		case p.Mergeable == Blocked:
			m["mergeable"], m["mergeable_state"] = true, "blocked"
		case p.Mergeable == Checking:
			m["mergeable"], m["mergeable_state"] = nil, "unknown"
		default:
			m["mergeable"], m["mergeable_state"] = true, "clean"
		}
	}
	return m
}
