package gitprovidertest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/gittest"
)

// Owner and Name name the one repository a Server hosts: Owner/Name.
const (
	Owner = "acme"
	Name  = "deploy"
)

// Mergeability values of PR.Mergeable.
const (
	Mergeable   = ""         // the provider would merge it
	Conflicting = "conflict" // merge conflicts
	Blocked     = "blocked"  // checks or approvals missing
	Checking    = "checking" // still being computed
)

// PR is a pull request the fake holds.
type PR struct {
	Number      int
	Title, Body string
	Head, Base  string
	HeadSHA     string
	Labels      []string
	State       string // open, merged or closed
	Draft       bool
	Mergeable   string // Mergeable, Conflicting, Blocked or Checking
	MergeCommit string // set when merged
	MergeMethod string // what the merge request asked for
	Created     time.Time
}

// Request is an API request the fake received.
type Request struct {
	Method string
	Path   string // escaped path, without the query
	Query  url.Values
	Header http.Header
	Body   string
}

// Server is a fake provider API for the repository Owner/Name, on loopback, closed when the
// test ends. It is safe for concurrent use.
type Server struct {
	// URL is the host's base URL; the API is below it as the provider has it on a
	// self-hosted host (GitHub /api/v3, GitLab /api/v4, Gitea /api/v1, Bitbucket /2.0).
	URL string
	// Provider is github, gitlab, gitea or bitbucket.
	Provider string

	t   testing.TB
	git *gittest.Server

	mu       sync.Mutex
	user     string
	token    string
	prs      []*PR
	requests []Request
	// apiCommits are the commits created through GitHub's Git database API; gitDir is the
	// WithGit repository's directory.
	apiCommits []APICommit
	gitDir     string
	onRequest  func(method, path string)
}

// OnRequest makes the server call hook with each API request's method and path before it
// answers it, e.g. to let someone else change the repository meanwhile. The hook runs on a
// server goroutine with the server locked: it must not call the Server's methods. nil removes
// it.
func (s *Server) OnRequest(hook func(method, path string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = hook
}

// Option configures a Server.
type Option func(*Server)

// WithGit serves Git smart-HTTP requests (every path outside the API) from g, so that the
// repository's clone URL is on the same host as the API. Create the repository in g as
// Owner/Name.
func WithGit(g *gittest.Server) Option { return func(s *Server) { s.git = g } }

// New starts a fake of provider (github, gitlab, gitea or bitbucket).
func New(t testing.TB, provider string, opts ...Option) *Server {
	t.Helper()
	s := &Server{Provider: provider, t: t}
	for _, o := range opts {
		o(s)
	}
	switch provider {
	case "github", "gitlab", "gitea", "bitbucket":
	default:
		t.Fatalf("gitprovidertest.New: unknown provider %q", provider)
	}
	hs := httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// RepoURL returns the repository's clone URL, URL/Owner/Name.git.
func (s *Server) RepoURL() string { return s.URL + "/" + Owner + "/" + Name + ".git" }

// RequireToken makes every API request need token, sent the provider's way (with user for
// Bitbucket basic auth); others get 401 in the provider's error shape.
func (s *Server) RequireToken(user, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.token = user, token
}

// AddPR stores pr (State default open, Created default now, HeadSHA default the head
// branch's commit) under the next number and returns the number.
func (s *Server) AddPR(pr PR) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(pr).Number
}

func (s *Server) add(pr PR) *PR {
	pr.Number = len(s.prs) + 1
	if pr.State == "" {
		pr.State = "open"
	}
	if pr.Created.IsZero() {
		pr.Created = time.Now().UTC().Truncate(time.Second)
	}
	if pr.HeadSHA == "" {
		pr.HeadSHA = s.headOf(pr.Head)
	}
	p := &pr
	s.prs = append(s.prs, p)
	return p
}

// headOf returns the commit of branch: from the Git server when there is one, else made up.
func (s *Server) headOf(branch string) string {
	if s.git != nil {
		if h := s.git.Head(s.t, Owner+"/"+Name, branch); h != "" {
			return h
		}
	}
	return fakeSHA("head " + branch)
}

// PR returns pull request n; ok is false if there is none.
func (s *Server) PR(n int) (pr PR, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pr(n); p != nil {
		return *p, true
	}
	return PR{}, false
}

// Update changes pull request n with f, e.g. to merge it as a user would.
func (s *Server) Update(n int, f func(*PR)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pr(n); p != nil {
		f(p)
	}
}

// Merge marks pull request n merged, as a user merging it in the web UI would, and returns the
// merge commit.
func (s *Server) Merge(n int) string {
	var sha string
	s.Update(n, func(p *PR) { sha = merge(p, "") })
	return sha
}

func merge(p *PR, method string) string {
	p.State, p.MergeMethod = "merged", method
	p.MergeCommit = fakeSHA("merge " + p.HeadSHA + " " + p.Base)
	return p.MergeCommit
}

// Requests returns the API requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) pr(n int) *PR {
	if n < 1 || n > len(s.prs) {
		return nil
	}
	return s.prs[n-1]
}

// find returns the open pull request from head into base, if any.
func (s *Server) findOpen(head, base string) *PR {
	for _, p := range s.prs {
		if p.Head == head && p.Base == base && p.State == "open" {
			return p
		}
	}
	return nil
}

func fakeSHA(seed string) string {
	h := sha1.Sum([]byte(seed))
	return hex.EncodeToString(h[:])
}

// apiPrefix is where the provider's API sits on a self-hosted host.
func (s *Server) apiPrefix() string {
	switch s.Provider {
	case "github":
		return "/api/v3"
	case "gitlab":
		return "/api/v4"
	case "gitea":
		return "/api/v1"
	}
	return "/2.0"
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	rest, ok := strings.CutPrefix(path, s.apiPrefix()+"/")
	if !ok {
		if s.git == nil {
			http.NotFound(w, r)
			return
		}
		target, _ := url.Parse(s.git.URL)
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
	if s.onRequest != nil {
		s.onRequest(r.Method, path)
	}
	if !s.authorized(r) {
		s.unauthorized(w)
		return
	}
	c := &call{w: w, r: r, body: body, rest: "/" + rest}
	switch s.Provider {
	case "github":
		s.github(c)
	case "gitlab":
		s.gitlab(c)
	case "gitea":
		s.gitea(c)
	case "bitbucket":
		s.bitbucket(c)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	if s.token == "" {
		return true
	}
	switch s.Provider {
	case "github":
		return r.Header.Get("Authorization") == "Bearer "+s.token
	case "gitlab":
		return r.Header.Get("PRIVATE-TOKEN") == s.token || r.Header.Get("Authorization") == "Bearer "+s.token
	case "gitea":
		return r.Header.Get("Authorization") == "token "+s.token
	}
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.user && p == s.token
	}
	return s.user == "" && r.Header.Get("Authorization") == "Bearer "+s.token
}

// unauthorized answers 401 with the provider's documented error body.
func (s *Server) unauthorized(w http.ResponseWriter) {
	switch s.Provider {
	case "github":
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
	case "gitlab":
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401 Unauthorized"})
	case "gitea":
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "user does not exist [uid: 0, name: ]", "url": s.URL + "/api/swagger"})
	default:
		w.Header().Set("WWW-Authenticate", `Basic realm="Bitbucket.org HTTP"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"type": "error", "error": map[string]any{"message": "Unauthorized"}})
	}
}

// call is one API request, its path below the API prefix.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	rest string
}

// decode decodes the JSON body into v; false (after answering 400) if it is not JSON.
func (c *call) decode(v any) bool {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(v); err != nil {
		writeJSON(c.w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
