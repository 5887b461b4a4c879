package gitprovidertest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var (
	bbPRs    = regexp.MustCompile(`^/repositories/` + Owner + `/` + Name + `/pullrequests$`)
	bbPR     = regexp.MustCompile(`^/repositories/` + Owner + `/` + Name + `/pullrequests/(\d+)$`)
	bbMerge  = regexp.MustCompile(`^/repositories/` + Owner + `/` + Name + `/pullrequests/(\d+)/merge$`)
	bbCommit = regexp.MustCompile(`^/repositories/` + Owner + `/` + Name + `/commit/([0-9a-f]+)$`)
	// bbQuery is the filter the client sends, in Bitbucket's query language.
	bbQuery = regexp.MustCompile(`^source\.branch\.name = "([^"]*)" AND destination\.branch\.name = "([^"]*)"$`)
)

// bitbucket serves the Bitbucket Cloud REST API 2.0 pull requests
// (developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests).
func (s *Server) bitbucket(c *call) {
	fail := func(status int, msg string) {
		writeJSON(c.w, status, map[string]any{"type": "error", "error": map[string]any{"message": msg}})
	}
	number := func(re *regexp.Regexp) *PR {
		n, _ := strconv.Atoi(re.FindStringSubmatch(c.rest)[1])
		return s.pr(n)
	}
	switch {
	case bbPRs.MatchString(c.rest) && c.r.Method == http.MethodGet:
		q := c.r.URL.Query()
		var head, base string
		if f := q.Get("q"); f != "" {
			m := bbQuery.FindStringSubmatch(f)
			if m == nil {
				fail(http.StatusBadRequest, "Invalid query: "+f)
				return
			}
			head, base = m[1], m[2]
		}
		states := q["state"]
		if len(states) == 0 {
			states = []string{"OPEN"}
		}
		values := []any{}
		for _, p := range s.prs {
			if (head == "" || p.Head == head) && (base == "" || p.Base == base) && contains(states, bbState(p)) {
				values = append(values, s.bbJSON(p))
			}
		}
		writeJSON(c.w, http.StatusOK, map[string]any{"values": values, "pagelen": 50, "size": len(values), "page": 1})
	case bbPRs.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct {
			Title, Description  string
			Source, Destination struct{ Branch struct{ Name string } }
		}
		if !c.decode(&in) {
			return
		}
		if in.Title == "" || in.Source.Branch.Name == "" {
			fail(http.StatusBadRequest, "title: This field is required.")
			return
		}
		base := in.Destination.Branch.Name
		if base == "" {
			base = "main"
		}
		if p := s.findOpen(in.Source.Branch.Name, base); p != nil {
			// Bitbucket answers a second create for the same branches with the open one.
			writeJSON(c.w, http.StatusOK, s.bbJSON(p))
			return
		}
		p := s.add(PR{Title: in.Title, Body: in.Description, Head: in.Source.Branch.Name, Base: base})
		writeJSON(c.w, http.StatusCreated, s.bbJSON(p))
	case bbPR.MatchString(c.rest) && c.r.Method == http.MethodGet:
		p := number(bbPR)
		if p == nil {
			fail(http.StatusNotFound, "Resource not found")
			return
		}
		writeJSON(c.w, http.StatusOK, s.bbJSON(p))
	case bbMerge.MatchString(c.rest) && c.r.Method == http.MethodPost:
		p := number(bbMerge)
		if p == nil {
			fail(http.StatusNotFound, "Resource not found")
			return
		}
		var in struct {
			MergeStrategy string `json:"merge_strategy"`
		}
		if !c.decode(&in) {
			return
		}
		switch {
		case in.MergeStrategy != "" && !contains([]string{"merge_commit", "squash", "fast_forward"}, in.MergeStrategy):
			fail(http.StatusBadRequest, "merge_strategy: "+in.MergeStrategy+" is not a valid merge strategy")
		case p.State != "open":
			fail(http.StatusBadRequest, "You can't merge a pull request that is not open.")
		case p.Mergeable == Conflicting:
			fail(http.StatusBadRequest, "You can't merge until you resolve all merge conflicts.")
		case p.Draft || p.Mergeable == Blocked || p.Mergeable == Checking:
			fail(http.StatusBadRequest, "You can't merge until all merge checks pass.")
		default:
			merge(p, in.MergeStrategy)
			writeJSON(c.w, http.StatusOK, s.bbJSON(p))
		}
	case bbCommit.MatchString(c.rest) && c.r.Method == http.MethodGet:
		prefix := bbCommit.FindStringSubmatch(c.rest)[1]
		for _, p := range s.prs {
			for _, sha := range []string{p.MergeCommit, p.HeadSHA} {
				if sha != "" && strings.HasPrefix(sha, prefix) {
					writeJSON(c.w, http.StatusOK, map[string]any{"type": "commit", "hash": sha})
					return
				}
			}
		}
		fail(http.StatusNotFound, "Commit not found")
	default:
		fail(http.StatusNotFound, "Resource not found")
	}
}

func bbState(p *PR) string {
	switch p.State {
	case "open":
		return "OPEN"
	case "merged":
		return "MERGED"
	}
	return "DECLINED"
}

// bbJSON renders p as Bitbucket does, commit hashes abbreviated to 12 digits.
func (s *Server) bbJSON(p *PR) map[string]any {
	short := func(sha string) string { return sha[:min(12, len(sha))] }
	m := map[string]any{
		"type": "pullrequest", "id": p.Number, "title": p.Title, "description": p.Body,
		"state": bbState(p), "draft": p.Draft,
		"created_on": p.Created.Format("2006-01-02T15:04:05.000000+00:00"),
		"links":      map[string]any{"html": map[string]any{"href": fmt.Sprintf("%s/%s/%s/pull-requests/%d", s.URL, Owner, Name, p.Number)}},
		"source": map[string]any{"branch": map[string]any{"name": p.Head}, "commit": map[string]any{"type": "commit", "hash": short(p.HeadSHA)},
			"repository": map[string]any{"full_name": Owner + "/" + Name}},
		"destination":  map[string]any{"branch": map[string]any{"name": p.Base}, "repository": map[string]any{"full_name": Owner + "/" + Name}},
		"merge_commit": nil,
	}
	if p.MergeCommit != "" {
		m["merge_commit"] = map[string]any{"type": "commit", "hash": short(p.MergeCommit)}
	}
	return m
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
