package expr

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// scpURL matches the SCP-like Git form [user@]host:path.
var scpURL = regexp.MustCompile(`^((?:[\w.-]+@)?[\w-]+(?:\.[\w-]+)*):(.*)$`)

// NormalizeGitURL returns the form of a Git URL used to compare repositories
// (docs/resources.md#how-urls-are-compared): lower-cased, without whitespace or non-printable runes, without one trailing "/"
// and then one trailing ".git". HTTP(S) URLs lose their user info; ssh:// URLs keep it; the
// SCP form [user@]host:path becomes ssh://[user@]host/path. A URL with a query string, or
// one it does not recognise, is returned unchanged. It is safe for concurrent use.
func NormalizeGitURL(repoURL string) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, strings.ToLower(repoURL))

	switch {
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"), strings.HasPrefix(s, "ssh://"):
		u, err := url.Parse(s)
		if err != nil || u.RawQuery != "" || u.ForceQuery {
			return repoURL
		}
		if u.Scheme != "ssh" {
			u.User = nil
		}
		u.Path = trimRepoPath(u.Path)
		u.RawPath = ""
		return u.String()
	case !strings.Contains(s, "://") && scpURL.MatchString(s):
		m := scpURL.FindStringSubmatch(s)
		path := strings.TrimPrefix(trimRepoPath(m[2]), "/")
		if path == "" {
			return "ssh://" + m[1]
		}
		return "ssh://" + m[1] + "/" + path
	}
	return repoURL
}

// trimRepoPath drops one trailing "/" and then one trailing ".git".
func trimRepoPath(p string) string {
	return strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git")
}
