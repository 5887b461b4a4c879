package gitprovider

import (
	"errors"
	"testing"
)

func TestInfer(t *testing.T) {
	tests := []struct{ repoURL, want string }{
		{"https://github.com/acme/deploy.git", GitHub},
		{"https://token@github.com/acme/deploy", GitHub},
		{"git@github.com:acme/deploy.git", GitHub},
		{"https://github.example.com/acme/deploy.git", GitHub},
		{"https://acme.ghe.com/acme/deploy", GitHub},
		{"https://gitlab.com/group/sub/deploy.git", GitLab},
		{"ssh://git@gitlab.internal:2222/group/deploy.git", GitLab},
		{"https://gitea.example.org/acme/deploy.git", Gitea},
		{"https://bitbucket.org/acme/deploy.git", Bitbucket},
		{"git@bitbucket.org:acme/deploy.git", Bitbucket},
		{"https://dev.azure.com/org/proj/_git/deploy", Azure},
		{"https://org.visualstudio.com/proj/_git/deploy", Azure},
		{"https://git.example.com/acme/deploy.git", ""},
		{"http://127.0.0.1:8080/acme/deploy.git", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := Infer(tt.repoURL); got != tt.want {
			t.Errorf("Infer(%q) = %q, want %q", tt.repoURL, got, tt.want)
		}
	}
}

func TestAPIBase(t *testing.T) {
	tests := []struct{ repoURL, provider, want string }{
		{"https://github.com/acme/deploy.git", GitHub, "https://api.github.com"},
		{"git@github.com:acme/deploy.git", GitHub, "https://api.github.com"},
		{"https://acme.ghe.com/acme/deploy", GitHub, "https://api.acme.ghe.com"},
		{"https://ghe.example.com/acme/deploy.git", GitHub, "https://ghe.example.com/api/v3"},
		{"http://127.0.0.1:8080/acme/deploy.git", GitHub, "http://127.0.0.1:8080/api/v3"},
		{"https://gitlab.com/group/sub/deploy.git", GitLab, "https://gitlab.com/api/v4"},
		{"ssh://git@gitlab.internal:2222/group/deploy.git", GitLab, "https://gitlab.internal/api/v4"},
		{"https://git.example.com:3000/acme/deploy.git", Gitea, "https://git.example.com:3000/api/v1"},
		{"https://user@bitbucket.org/acme/deploy.git", Bitbucket, "https://api.bitbucket.org/2.0"},
	}
	for _, tt := range tests {
		r, err := parseRepoURL(tt.repoURL)
		if err != nil {
			t.Fatalf("parseRepoURL(%q) = %v", tt.repoURL, err)
		}
		if got := r.apiBase(tt.provider); got != tt.want {
			t.Errorf("apiBase(%q, %s) = %q, want %q", tt.repoURL, tt.provider, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		repoURL, provider string
		want              error
	}{
		{"https://git.example.com/acme/deploy.git", "", ErrUnknownProvider},
		{"https://dev.azure.com/org/proj/_git/deploy", "", ErrUnsupportedProvider},
		{"https://github.com/deploy.git", "", ErrBadRepoURL},
		{"https://github.com/a/b/c.git", "", ErrBadRepoURL},
		{"https://gitlab.com/deploy.git", "", ErrBadRepoURL},
		{"ftp://github.com/acme/deploy", "", ErrBadRepoURL},
	}
	for _, tt := range tests {
		if _, err := New(tt.repoURL, tt.provider); !errors.Is(err, tt.want) {
			t.Errorf("New(%q, %q) = %v, want %v", tt.repoURL, tt.provider, err, tt.want)
		}
	}
	if _, err := New("https://gitlab.com/group/sub/deploy.git", ""); err != nil {
		t.Errorf("New(GitLab subgroup) = %v, want nil", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:s3cret@github.com/acme/deploy.git?x=1": "https://github.com/acme/deploy.git",
		"git@github.com:acme/deploy.git":                     "github.com:acme/deploy.git",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
