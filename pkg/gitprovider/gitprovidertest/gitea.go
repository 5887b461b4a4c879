package gitprovidertest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
)

var (
	gtPulls = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/pulls$`)
	gtPull  = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/pulls/(\d+)$`)
	gtMerge = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/pulls/(\d+)/merge$`)
)

// gitea serves the Gitea REST API v1 pull requests (gitea.com/api/swagger).
func (s *Server) gitea(c *call) {
	notFound := func() {
		writeJSON(c.w, http.StatusNotFound, map[string]any{"message": "The target couldn't be found.", "url": s.URL + "/api/swagger", "errors": []string{}})
	}
	number := func(re *regexp.Regexp) *PR {
		n, _ := strconv.Atoi(re.FindStringSubmatch(c.rest)[1])
		return s.pr(n)
	}
	switch {
	case gtPulls.MatchString(c.rest) && c.r.Method == http.MethodGet:
		q := c.r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		page, _ := strconv.Atoi(q.Get("page"))
		limit, page = min(max(limit, 1), 50), max(page, 1)
		var all []any
		for i := len(s.prs) - 1; i >= 0; i-- { // newest first
			p := s.prs[i]
			open := p.State == "open"
			if st := q.Get("state"); st == "all" || (st == "closed" && !open) || ((st == "" || st == "open") && open) {
				all = append(all, s.gtJSON(p))
			}
		}
		out := []any{}
		for i := (page - 1) * limit; i < len(all) && i < page*limit; i++ {
			out = append(out, all[i])
		}
		writeJSON(c.w, http.StatusOK, out)
	case gtPulls.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct{ Head, Base, Title, Body string }
		if !c.decode(&in) {
			return
		}
		if in.Head == "" || in.Base == "" || in.Title == "" {
			writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{"message": "[Title]: Required", "url": s.URL + "/api/swagger"})
			return
		}
		if p := s.findOpen(in.Head, in.Base); p != nil {
			writeJSON(c.w, http.StatusConflict, map[string]any{"message": fmt.Sprintf(
				"pull request already exists for these targets [id: %d, issue_id: %d, head_repo_id: 1, base_repo_id: 1, head_branch: %s, base_branch: %s]",
				p.Number, p.Number, p.Head, p.Base), "url": s.URL + "/api/swagger"})
			return
		}
		p := s.add(PR{Title: in.Title, Body: in.Body, Head: in.Head, Base: in.Base})
		writeJSON(c.w, http.StatusCreated, s.gtJSON(p))
	case gtPull.MatchString(c.rest) && c.r.Method == http.MethodGet:
		p := number(gtPull)
		if p == nil {
			notFound()
			return
		}
		writeJSON(c.w, http.StatusOK, s.gtJSON(p))
	case gtMerge.MatchString(c.rest) && c.r.Method == http.MethodPost:
		p := number(gtMerge)
		if p == nil {
			notFound()
			return
		}
		var in struct {
			Do           string `json:"Do"`
			HeadCommitID string `json:"head_commit_id"`
		}
		if !c.decode(&in) {
			return
		}
		switch {
		case in.Do == "":
			writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{"message": "[Do]: Required", "url": s.URL + "/api/swagger"})
		case p.State == "merged":
			writeJSON(c.w, http.StatusMethodNotAllowed, map[string]any{"message": "The PR is already merged", "url": s.URL + "/api/swagger"})
		case p.State != "open" || p.Draft || p.Mergeable == Blocked || p.Mergeable == Checking:
			writeJSON(c.w, http.StatusMethodNotAllowed, map[string]any{"message": "Please try again later", "url": s.URL + "/api/swagger"})
		case p.Mergeable == Conflicting:
			writeJSON(c.w, http.StatusConflict, map[string]any{"message": "merge conflict", "url": s.URL + "/api/swagger"})
		case in.HeadCommitID != "" && in.HeadCommitID != p.HeadSHA:
			writeJSON(c.w, http.StatusConflict, map[string]any{"message": "head out of date", "url": s.URL + "/api/swagger"})
		default:
			merge(p, in.Do)
			c.w.WriteHeader(http.StatusOK)
		}
	default:
		notFound()
	}
}

func (s *Server) gtJSON(p *PR) map[string]any {
	state := "open"
	if p.State != "open" {
		state = "closed"
	}
	return map[string]any{
		"id": 1000 + p.Number, "number": p.Number, "title": p.Title, "body": p.Body,
		"state": state, "draft": p.Draft, "merged": p.State == "merged",
		"mergeable":        p.State == "open" && p.Mergeable == Mergeable,
		"merge_commit_sha": nullable(p.MergeCommit),
		"html_url":         fmt.Sprintf("%s/%s/%s/pulls/%d", s.URL, Owner, Name, p.Number),
		"created_at":       p.Created.Format("2006-01-02T15:04:05Z"),
		"head":             map[string]any{"label": p.Head, "ref": p.Head, "sha": p.HeadSHA},
		"base":             map[string]any{"label": p.Base, "ref": p.Base, "sha": fakeSHA("base " + p.Base)},
	}
}
