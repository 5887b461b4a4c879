package expr_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/expr"
)

func TestNormalizeGitURL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"https unchanged", "https://github.com/x/cfg", "https://github.com/x/cfg"},
		{"lower-cased", "HTTPS://GitHub.com/X/Cfg", "https://github.com/x/cfg"},
		{"trailing .git", "https://github.com/x/cfg.git", "https://github.com/x/cfg"},
		{"trailing slash then .git", "https://github.com/x/cfg.git/", "https://github.com/x/cfg"},
		{"only one slash dropped", "https://github.com/x/cfg//", "https://github.com/x/cfg/"},
		{".git before slash only", "https://github.com/x/cfg/.git", "https://github.com/x/cfg/"},
		{"credentials dropped", "https://user:token@github.com/x/cfg", "https://github.com/x/cfg"},
		{"http credentials dropped", "http://u@h.example:8080/r.git", "http://h.example:8080/r"},
		{"whitespace stripped", "  https://github.com/x/cfg\n", "https://github.com/x/cfg"},
		{"non-printable stripped", "https://github.com/x/\u200bcfg", "https://github.com/x/cfg"},
		{"query keeps original", "https://Example.com/r.git?ref=main", "https://Example.com/r.git?ref=main"},
		{"ssh keeps user", "ssh://git@GitHub.com/x/cfg.git/", "ssh://git@github.com/x/cfg"},
		{"ssh with port", "ssh://git@github.com:22/x/cfg.git", "ssh://git@github.com:22/x/cfg"},
		{"scp with user", "git@github.com:x/cfg.git", "ssh://git@github.com/x/cfg"},
		{"scp without user", "github.com:x/cfg", "ssh://github.com/x/cfg"},
		{"scp trailing slash", "git@github.com:x/cfg/", "ssh://git@github.com/x/cfg"},
		{"unknown scheme unchanged", "file:///srv/Repo.git", "file:///srv/Repo.git"},
		{"garbage unchanged", "not a url", "not a url"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expr.NormalizeGitURL(tt.in); got != tt.want {
				t.Errorf("NormalizeGitURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
