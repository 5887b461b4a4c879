package gitprovider

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Provider names, the values of a step's provider field.
const (
	GitHub    = "github"
	GitLab    = "gitlab"
	Gitea     = "gitea"
	Bitbucket = "bitbucket"
	Azure     = "azure"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnknownProvider means the provider could not be inferred from the repository URL and
	// none was named.
	ErrUnknownProvider = errors.New("git provider unknown")
	// ErrUnsupportedProvider means the provider is known but Dray has no client for it.
	ErrUnsupportedProvider = errors.New("git provider not supported")
	// ErrBadRepoURL means the repository URL does not name a repository of the provider.
	ErrBadRepoURL = errors.New("repository URL not understood")
	// ErrUnauthorized means the provider refused the credentials (HTTP 401 or 403).
	ErrUnauthorized = errors.New("credentials refused")
	// ErrNotFound means the provider does not know the repository or pull request (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means an open pull request for the same branches already exists.
	ErrAlreadyExists = errors.New("pull request already exists")
	// ErrNoChanges means the source branch has nothing to merge into the target branch.
	ErrNoChanges = errors.New("no changes between the branches")
	// ErrNotMergeable means the pull request cannot be merged now but may be later (checks,
	// approvals, draft, mergeability being computed).
	ErrNotMergeable = errors.New("pull request not mergeable yet")
	// ErrInvalidMergeMethod means the merge method is not one the provider offers.
	ErrInvalidMergeMethod = errors.New("invalid merge method")
	// ErrConflict means the pull request has merge conflicts.
	ErrConflict = errors.New("pull request has conflicts")
)

// Infer returns the provider of the repository at repoURL from its host, as Kargo does: a
// host containing "github" or ending in ".ghe.com" is GitHub, one containing "gitlab" is
// GitLab, "gitea" Gitea, dev.azure.com or *.visualstudio.com Azure DevOps, and one containing
// "bitbucket" Bitbucket. It returns "" when the host says nothing.
func Infer(repoURL string) string {
	r, err := parseRepoURL(repoURL)
	if err != nil {
		return ""
	}
	h := r.hostname
	switch {
	case strings.Contains(h, "github") || strings.HasSuffix(h, ".ghe.com"):
		return GitHub
	case strings.Contains(h, "gitlab"):
		return GitLab
	case strings.Contains(h, "gitea"):
		return Gitea
	case h == "dev.azure.com" || strings.HasSuffix(h, ".visualstudio.com"):
		return Azure
	case strings.Contains(h, "bitbucket"):
		return Bitbucket
	}
	return ""
}

// repoURL is a repository URL taken apart.
type repoURL struct {
	scheme   string // https, or http for an http:// URL
	host     string // host[:port] of an http(s) URL; hostname for SSH
	hostname string // lowercase, no port
	path     string // owner/name (GitLab: group/…/name), no .git
}

var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):(.+)$`)

func parseRepoURL(raw string) (repoURL, error) {
	var r repoURL
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		r.scheme, r.host = "https", u.Host
		switch u.Scheme {
		case "http":
			r.scheme = "http"
		case "https":
		case "ssh", "git+ssh":
			r.host = u.Hostname()
		default:
			return r, fmt.Errorf("%w: scheme %q", ErrBadRepoURL, u.Scheme)
		}
		r.hostname, r.path = strings.ToLower(u.Hostname()), u.Path
	} else if m := scpLike.FindStringSubmatch(raw); m != nil && !strings.Contains(raw, "://") {
		r.scheme, r.host, r.hostname, r.path = "https", m[1], strings.ToLower(m[1]), m[2]
	} else {
		return r, fmt.Errorf("%w: not a URL", ErrBadRepoURL)
	}
	r.path = strings.TrimSuffix(strings.Trim(r.path, "/"), ".git")
	if r.path == "" {
		return r, fmt.Errorf("%w: no repository path", ErrBadRepoURL)
	}
	return r, nil
}

// apiBase returns the REST API base URL of provider for a repository on r's host.
func (r repoURL) apiBase(provider string) string {
	switch provider {
	case GitHub:
		switch {
		case r.hostname == "github.com":
			return "https://api.github.com"
		case strings.HasSuffix(r.hostname, ".ghe.com"):
			return "https://api." + r.hostname
		}
		return r.scheme + "://" + r.host + "/api/v3"
	case GitLab:
		return r.scheme + "://" + r.host + "/api/v4"
	case Gitea:
		return r.scheme + "://" + r.host + "/api/v1"
	case Bitbucket:
		if r.hostname == "bitbucket.org" {
			return "https://api.bitbucket.org/2.0"
		}
		return r.scheme + "://" + r.host + "/2.0"
	}
	return ""
}

// ownerName splits the path into owner (or workspace) and repository name, for providers
// whose repositories sit exactly one level below an owner.
func (r repoURL) ownerName() (owner, name string, err error) {
	parts := strings.Split(r.path, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", fmt.Errorf("%w: path %q is not <owner>/<repository>", ErrBadRepoURL, r.path)
	}
	return parts[0], parts[1], nil
}

// RedactURL returns raw without user info, query or fragment, for messages.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		if m := scpLike.FindStringSubmatch(raw); m != nil {
			return m[1] + ":" + m[2]
		}
		return "[unparsable URL]"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
