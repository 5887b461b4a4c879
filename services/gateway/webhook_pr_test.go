package gateway

import (
	"net/http/httptest"
	"testing"
)

// TestPullRequestsOf: each Git host's pull request event gives the repository and number;
// other events give none.
func TestPullRequestsOf(t *testing.T) {
	tests := []struct {
		provider, header, event, body string
		wantURL                       string
		wantNumber                    int
	}{
		{"github", "X-GitHub-Event", "pull_request", `{"action":"closed","number":7,"repository":{"clone_url":"https://github.com/a/b.git"}}`, "https://github.com/a/b.git", 7},
		{"github", "X-GitHub-Event", "push", `{"number":7,"repository":{"clone_url":"https://github.com/a/b.git"}}`, "", 0},
		{"gitea", "X-Gitea-Event", "pull_request", `{"action":"closed","number":3,"repository":{"clone_url":"https://gitea.example.com/a/b.git"}}`, "https://gitea.example.com/a/b.git", 3},
		{"gitlab", "X-Gitlab-Event", "Merge Request Hook", `{"object_kind":"merge_request","object_attributes":{"iid":12,"action":"merge"},"project":{"git_http_url":"https://gitlab.com/a/b.git"}}`, "https://gitlab.com/a/b.git", 12},
		{"gitlab", "X-Gitlab-Event", "Push Hook", `{"object_kind":"push","project":{"git_http_url":"https://gitlab.com/a/b.git"}}`, "", 0},
		{"bitbucket", "X-Event-Key", "pullrequest:fulfilled", `{"pullrequest":{"id":5},"repository":{"links":{"html":{"href":"https://bitbucket.org/a/b"}}}}`, "https://bitbucket.org/a/b", 5},
		{"bitbucket", "X-Event-Key", "repo:push", `{"repository":{"links":{"html":{"href":"https://bitbucket.org/a/b"}}}}`, "", 0},
		{"dockerhub", "", "", `{}`, "", 0},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		if tt.header != "" {
			r.Header.Set(tt.header, tt.event)
		}
		prs := pullRequestsOf(tt.provider, r, []byte(tt.body))
		switch {
		case tt.wantNumber == 0 && len(prs) != 0:
			t.Errorf("%s %s: %+v, want none", tt.provider, tt.event, prs)
		case tt.wantNumber != 0 && (len(prs) != 1 || prs[0].number != tt.wantNumber || len(prs[0].urls) == 0 || prs[0].urls[0] != tt.wantURL):
			t.Errorf("%s %s: %+v, want #%d of %s", tt.provider, tt.event, prs, tt.wantNumber, tt.wantURL)
		}
	}
	if !sameGitRepo("https://GitHub.com/a/b", []string{"https://github.com/a/b.git"}) || sameGitRepo("", []string{""}) {
		t.Error("sameGitRepo does not compare normalised URLs")
	}
}
