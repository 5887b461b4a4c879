package gitpush

import "testing"

func TestCommitURL(t *testing.T) {
	const sha = "0123abcd"
	tests := []struct {
		repoURL, provider, want string
	}{
		{"https://github.com/acme/deploy.git", "", "https://github.com/acme/deploy/commit/0123abcd"},
		{"https://user:token@github.com/acme/deploy", "", "https://github.com/acme/deploy/commit/0123abcd"},
		{"git@github.com:acme/deploy.git", "", "https://github.com/acme/deploy/commit/0123abcd"},
		{"ssh://git@gitlab.com:22/group/sub/deploy.git", "", "https://gitlab.com/group/sub/deploy/-/commit/0123abcd"},
		{"https://bitbucket.org/acme/deploy.git", "", "https://bitbucket.org/acme/deploy/commits/0123abcd"},
		{"https://dev.azure.com/org/proj/_git/deploy", "", "https://dev.azure.com/org/proj/_git/deploy/commit/0123abcd"},
		{"https://git.example.com/acme/deploy.git", "gitea", "https://git.example.com/acme/deploy/commit/0123abcd"},
		{"http://127.0.0.1:8080/deploy.git", "github", "http://127.0.0.1:8080/deploy/commit/0123abcd"},
		{"https://git.example.com/acme/deploy.git", "", ""},
		{"not a url", "github", ""},
	}
	for _, tt := range tests {
		if got := commitURL(tt.repoURL, tt.provider, sha); got != tt.want {
			t.Errorf("commitURL(%q, %q) = %q, want %q", tt.repoURL, tt.provider, got, tt.want)
		}
	}
}
