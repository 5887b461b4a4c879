package gitprovidertest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
)

var (
	glMRs   = regexp.MustCompile(`^/projects/` + Owner + `%2F` + Name + `/merge_requests$`)
	glMR    = regexp.MustCompile(`^/projects/` + Owner + `%2F` + Name + `/merge_requests/(\d+)$`)
	glMerge = regexp.MustCompile(`^/projects/` + Owner + `%2F` + Name + `/merge_requests/(\d+)/merge$`)
)

// gitlab serves the GitLab REST API v4 merge requests (docs.gitlab.com/api/merge_requests).
func (s *Server) gitlab(c *call) {
	notFound := func() { writeJSON(c.w, http.StatusNotFound, map[string]any{"message": "404 Not found"}) }
	number := func(re *regexp.Regexp) *PR {
		n, _ := strconv.Atoi(re.FindStringSubmatch(c.rest)[1])
		return s.pr(n)
	}
	switch {
	case glMRs.MatchString(c.rest) && c.r.Method == http.MethodGet:
		q := c.r.URL.Query()
		out := []any{}
		for _, p := range s.prs {
			state := glState(p)
			if (q.Get("source_branch") == "" || q.Get("source_branch") == p.Head) && (q.Get("target_branch") == "" || q.Get("target_branch") == p.Base) &&
				(q.Get("state") == "" || q.Get("state") == "all" || q.Get("state") == state) {
				out = append(out, s.glJSON(p))
			}
		}
		writeJSON(c.w, http.StatusOK, out)
	case glMRs.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct {
			SourceBranch string `json:"source_branch"`
			TargetBranch string `json:"target_branch"`
			Title        string `json:"title"`
			Description  string `json:"description"`
			Labels       string `json:"labels"`
		}
		if !c.decode(&in) {
			return
		}
		if in.SourceBranch == "" || in.TargetBranch == "" || in.Title == "" {
			writeJSON(c.w, http.StatusBadRequest, map[string]any{"error": "title is missing"})
			return
		}
		if p := s.findOpen(in.SourceBranch, in.TargetBranch); p != nil {
			writeJSON(c.w, http.StatusConflict, map[string]any{"message": []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", p.Number)}})
			return
		}
		p := s.add(PR{Title: in.Title, Body: in.Description, Head: in.SourceBranch, Base: in.TargetBranch, Labels: splitLabels(in.Labels)})
		writeJSON(c.w, http.StatusCreated, s.glJSON(p))
	case glMR.MatchString(c.rest) && c.r.Method == http.MethodGet:
		p := number(glMR)
		if p == nil {
			notFound()
			return
		}
		writeJSON(c.w, http.StatusOK, s.glJSON(p))
	case glMerge.MatchString(c.rest) && c.r.Method == http.MethodPut:
		p := number(glMerge)
		if p == nil {
			notFound()
			return
		}
		var in struct {
			Squash bool   `json:"squash"`
			SHA    string `json:"sha"`
		}
		if !c.decode(&in) {
			return
		}
		switch {
		case p.State != "open" || p.Draft || p.Mergeable == Blocked || p.Mergeable == Checking:
			writeJSON(c.w, http.StatusMethodNotAllowed, map[string]any{"message": "405 Method Not Allowed"})
		case p.Mergeable == Conflicting:
			writeJSON(c.w, http.StatusNotAcceptable, map[string]any{"message": "Branch cannot be merged"})
		case in.SHA != "" && in.SHA != p.HeadSHA:
			writeJSON(c.w, http.StatusConflict, map[string]any{"message": "SHA does not match HEAD of source branch: " + p.HeadSHA})
		default:
			merge(p, map[bool]string{true: "squash", false: "merge"}[in.Squash])
			writeJSON(c.w, http.StatusOK, s.glJSON(p))
		}
	default:
		notFound()
	}
}

func glState(p *PR) string {
	if p.State == "open" {
		return "opened"
	}
	return p.State
}

func (s *Server) glJSON(p *PR) map[string]any {
	status := "mergeable"
	switch {
	case p.State != "open":
		status = "not_open"
	case p.Draft:
		status = "draft_status"
	case p.Mergeable == Conflicting:
		status = "conflict"
	case p.Mergeable == Blocked:
		status = "not_approved"
	case p.Mergeable == Checking:
		status = "checking"
	}
	m := map[string]any{
		"id": 1000 + p.Number, "iid": p.Number, "project_id": 7,
		"title": p.Title, "description": p.Body, "state": glState(p),
		"source_branch": p.Head, "target_branch": p.Base, "sha": p.HeadSHA,
		"merge_commit_sha": nil, "squash_commit_sha": nil,
		"draft": p.Draft, "has_conflicts": p.Mergeable == Conflicting, "detailed_merge_status": status,
		"labels":     append([]string{}, p.Labels...),
		"created_at": p.Created.Format("2006-01-02T15:04:05.000Z"),
		"web_url":    fmt.Sprintf("%s/%s/%s/-/merge_requests/%d", s.URL, Owner, Name, p.Number),
	}
	if p.State == "merged" {
		if p.MergeMethod == "squash" {
			m["squash_commit_sha"] = p.MergeCommit
		} else {
			m["merge_commit_sha"] = p.MergeCommit
		}
	}
	return m
}

func splitLabels(s string) []string {
	var out []string
	for _, l := range regexp.MustCompile(`\s*,\s*`).Split(s, -1) {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
