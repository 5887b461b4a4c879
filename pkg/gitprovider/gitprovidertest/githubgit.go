package gitprovidertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// GitHub's Git database API (docs.github.com/rest/git), served from the repository of WithGit,
// so that what the API creates is what a clone then sees.
var (
	ghBlobs     = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/git/blobs$`)
	ghTrees     = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/git/trees$`)
	ghCommits   = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/git/commits$`)
	ghCommit    = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/git/commits/([0-9a-f]{40})$`)
	ghRefs      = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/git/refs$`)
	ghBranchRef = regexp.MustCompile(`^/repos/` + Owner + `/` + Name + `/git/refs/heads/(.+)$`)
)

// APICommit is a commit created through POST /repos/{owner}/{repo}/git/commits.
type APICommit struct {
	SHA, Message, Tree string
	Parents            []string
	// Verified is what GitHub reports: true when the request named neither author nor
	// committer nor signature, so that GitHub made the commit as the token's user and signed
	// it.
	Verified bool
}

// APICommits returns the commits created through the Git database API, oldest first.
func (s *Server) APICommits() []APICommit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]APICommit(nil), s.apiCommits...)
}

// githubGit serves the Git database API; false when c is not such a request.
func (s *Server) githubGit(c *call) bool {
	if !strings.Contains(c.rest, "/git/") {
		return false
	}
	if s.git == nil {
		writeJSON(c.w, http.StatusNotFound, map[string]any{"message": "Not Found (the fake serves the Git database API only WithGit)"})
		return true
	}
	fail := func(status int, msg string) {
		writeJSON(c.w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest/git", "status": http.StatusText(status)})
	}
	switch {
	case ghBlobs.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct{ Content, Encoding string }
		if !c.decode(&in) {
			return true
		}
		data := []byte(in.Content)
		if in.Encoding == "base64" {
			var err error
			if data, err = base64.StdEncoding.DecodeString(in.Content); err != nil {
				fail(http.StatusUnprocessableEntity, "Invalid request.\n\ncontent is not valid Base64.")
				return true
			}
		}
		sha, err := s.gitIn(c.r.Context(), data, nil, "hash-object", "-w", "--stdin")
		if err != nil {
			fail(http.StatusInternalServerError, err.Error())
			return true
		}
		writeJSON(c.w, http.StatusCreated, map[string]any{"sha": sha, "url": s.URL + "/api/v3" + c.rest + "/" + sha})
	case ghTrees.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct {
			BaseTree string `json:"base_tree"`
			Tree     []struct {
				Path, Mode, Type string
				SHA              *string
			}
		}
		if !c.decode(&in) {
			return true
		}
		index := filepath.Join(s.t.TempDir(), "index")
		env := []string{"GIT_INDEX_FILE=" + index}
		if in.BaseTree != "" {
			if _, err := s.gitIn(c.r.Context(), nil, env, "read-tree", in.BaseTree); err != nil {
				fail(http.StatusUnprocessableEntity, "Invalid tree info: base_tree "+in.BaseTree)
				return true
			}
		}
		for _, e := range in.Tree {
			var err error
			if e.SHA == nil {
				// Mode 0 removes the entry; --force-remove would need a working tree.
				_, err = s.gitIn(c.r.Context(), []byte("0 "+strings.Repeat("0", 40)+"\t"+e.Path+"\n"), env, "update-index", "--index-info")
			} else {
				_, err = s.gitIn(c.r.Context(), nil, env, "update-index", "--add", "--cacheinfo", e.Mode+","+*e.SHA+","+e.Path)
			}
			if err != nil {
				fail(http.StatusUnprocessableEntity, "GitRPC::BadObjectState")
				return true
			}
		}
		sha, err := s.gitIn(c.r.Context(), nil, env, "write-tree")
		if err != nil {
			fail(http.StatusInternalServerError, err.Error())
			return true
		}
		writeJSON(c.w, http.StatusCreated, map[string]any{"sha": sha, "url": s.URL + "/api/v3" + c.rest + "/" + sha, "truncated": false})
	case ghCommits.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct {
			Message   string
			Tree      string
			Parents   []string
			Author    *struct{ Name, Email string }
			Committer *struct{ Name, Email string }
			Signature *string
		}
		if !c.decode(&in) {
			return true
		}
		// Without author and committer GitHub makes the commit as the token's user and
		// signs it (the "web-flow" key): Verified.
		verified := in.Author == nil && in.Committer == nil && in.Signature == nil
		env := []string{"GIT_AUTHOR_NAME=dray-bot", "GIT_AUTHOR_EMAIL=dray-bot@users.noreply.github.com",
			"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com"}
		if in.Author != nil {
			env = append(env, "GIT_AUTHOR_NAME="+in.Author.Name, "GIT_AUTHOR_EMAIL="+in.Author.Email)
		}
		if in.Committer != nil {
			env = append(env, "GIT_COMMITTER_NAME="+in.Committer.Name, "GIT_COMMITTER_EMAIL="+in.Committer.Email)
		}
		args := []string{"commit-tree", in.Tree}
		for _, p := range in.Parents {
			args = append(args, "-p", p)
		}
		sha, err := s.gitIn(c.r.Context(), []byte(in.Message), env, append(args, "-F", "-")...)
		if err != nil {
			fail(http.StatusUnprocessableEntity, "Tree SHA does not exist")
			return true
		}
		s.apiCommits = append(s.apiCommits, APICommit{SHA: sha, Message: in.Message, Tree: in.Tree, Parents: in.Parents, Verified: verified})
		writeJSON(c.w, http.StatusCreated, s.ghCommitJSON(sha, in.Tree, in.Message, in.Parents, verified))
	case ghCommit.MatchString(c.rest) && c.r.Method == http.MethodGet:
		sha := ghCommit.FindStringSubmatch(c.rest)[1]
		tree, err := s.gitIn(c.r.Context(), nil, nil, "rev-parse", "--verify", sha+"^{tree}")
		if err != nil {
			fail(http.StatusNotFound, "Not Found")
			return true
		}
		verified := false
		for _, ac := range s.apiCommits {
			if ac.SHA == sha {
				verified = ac.Verified
			}
		}
		writeJSON(c.w, http.StatusOK, s.ghCommitJSON(sha, tree, "", nil, verified))
	case ghRefs.MatchString(c.rest) && c.r.Method == http.MethodPost:
		var in struct{ Ref, SHA string }
		if !c.decode(&in) {
			return true
		}
		if !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 {
			fail(http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.")
			return true
		}
		if _, err := s.gitIn(c.r.Context(), nil, nil, "rev-parse", "--verify", "--quiet", in.Ref); err == nil {
			fail(http.StatusUnprocessableEntity, "Reference already exists")
			return true
		}
		if _, err := s.gitIn(c.r.Context(), nil, nil, "update-ref", in.Ref, in.SHA); err != nil {
			fail(http.StatusUnprocessableEntity, "Object does not exist")
			return true
		}
		writeJSON(c.w, http.StatusCreated, s.ghRefJSON(in.Ref, in.SHA))
	case ghBranchRef.MatchString(c.rest) && c.r.Method == http.MethodPatch:
		ref := "refs/heads/" + ghBranchRef.FindStringSubmatch(c.rest)[1]
		var in struct {
			SHA   string
			Force bool
		}
		if !c.decode(&in) {
			return true
		}
		old, err := s.gitIn(c.r.Context(), nil, nil, "rev-parse", "--verify", "--quiet", ref)
		if err != nil {
			fail(http.StatusUnprocessableEntity, "Reference does not exist")
			return true
		}
		if _, err := s.gitIn(c.r.Context(), nil, nil, "merge-base", "--is-ancestor", old, in.SHA); err != nil && !in.Force {
			fail(http.StatusUnprocessableEntity, "Update is not a fast forward")
			return true
		}
		if _, err := s.gitIn(c.r.Context(), nil, nil, "update-ref", ref, in.SHA, old); err != nil {
			fail(http.StatusUnprocessableEntity, "Object does not exist")
			return true
		}
		writeJSON(c.w, http.StatusOK, s.ghRefJSON(ref, in.SHA))
	default:
		return false
	}
	return true
}

func (s *Server) ghCommitJSON(sha, tree, message string, parents []string, verified bool) map[string]any {
	ps := []any{}
	for _, p := range parents {
		ps = append(ps, map[string]any{"sha": p, "url": s.URL + "/api/v3/repos/" + Owner + "/" + Name + "/git/commits/" + p})
	}
	reason := "unsigned"
	if verified {
		reason = "valid"
	}
	now := time.Now().UTC().Format(time.RFC3339)
	return map[string]any{
		"sha": sha, "url": s.URL + "/api/v3/repos/" + Owner + "/" + Name + "/git/commits/" + sha,
		"html_url": s.URL + "/" + Owner + "/" + Name + "/commit/" + sha, "message": message,
		"author":       map[string]any{"name": "dray-bot", "email": "dray-bot@users.noreply.github.com", "date": now},
		"committer":    map[string]any{"name": "GitHub", "email": "noreply@github.com", "date": now},
		"tree":         map[string]any{"sha": tree, "url": s.URL + "/api/v3/repos/" + Owner + "/" + Name + "/git/trees/" + tree},
		"parents":      ps,
		"verification": map[string]any{"verified": verified, "reason": reason, "signature": nil, "payload": nil, "verified_at": nil},
	}
}

func (s *Server) ghRefJSON(ref, sha string) map[string]any {
	return map[string]any{
		"ref": ref, "url": s.URL + "/api/v3/repos/" + Owner + "/" + Name + "/git/" + ref,
		"object": map[string]any{"type": "commit", "sha": sha, "url": s.URL + "/api/v3/repos/" + Owner + "/" + Name + "/git/commits/" + sha},
	}
}

// gitIn runs git with args in the WithGit repository, with stdin and extra environment, and
// returns its trimmed output. It never fails the test: it runs on the server's goroutines.
func (s *Server) gitIn(ctx context.Context, stdin []byte, env []string, args ...string) (string, error) {
	if s.gitDir == "" {
		s.gitDir = s.git.Dir(s.t, Owner+"/"+Name)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = s.gitDir
	cmd.Env = append(append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", errors.New(strings.TrimSpace(errOut.String()) + ": " + err.Error())
	}
	return strings.TrimSpace(out.String()), nil
}
