package gitpush

import (
	"net/url"
	"regexp"
	"strings"
)

// scpLike matches SSH remotes written as [user@]host:path.
var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):(.+)$`)

// commitURL returns the web address of commit sha in repository repoURL for the hosting
// provider (inferred from the host when empty), or "" when the provider is unknown.
func commitURL(repoURL, provider, sha string) string {
	base, host := webBase(repoURL)
	if base == "" {
		return ""
	}
	if provider == "" {
		provider = inferProvider(host)
	}
	switch provider {
	case "github", "gitea", "azure":
		return base + "/commit/" + sha
	case "gitlab":
		return base + "/-/commit/" + sha
	case "bitbucket":
		return base + "/commits/" + sha
	}
	return ""
}

func inferProvider(host string) string {
	switch {
	case host == "github.com":
		return "github"
	case host == "gitlab.com":
		return "gitlab"
	case host == "bitbucket.org":
		return "bitbucket"
	case host == "dev.azure.com" || strings.HasSuffix(host, ".visualstudio.com"):
		return "azure"
	}
	return ""
}

// webBase turns a clone URL into the repository's web address (no credentials, no .git) and
// returns it with the host.
func webBase(repoURL string) (base, host string) {
	scheme := "https"
	var path string
	if u, err := url.Parse(repoURL); err == nil && u.Scheme != "" && u.Host != "" {
		if u.Scheme == "http" {
			scheme = "http"
		}
		host, path = u.Host, u.Path
		if u.Scheme == "ssh" {
			host = u.Hostname()
		}
	} else if m := scpLike.FindStringSubmatch(repoURL); m != nil {
		host, path = m[1], "/"+m[2]
	} else {
		return "", ""
	}
	path = strings.TrimSuffix(strings.TrimSuffix(path, "/"), ".git")
	if path == "" || path == "/" {
		return "", ""
	}
	return scheme + "://" + host + path, strings.ToLower(strings.Split(host, ":")[0])
}
