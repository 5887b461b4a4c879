package freight

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/google/go-containerregistry/pkg/name"
)

// scp matches the SCP-like Git form [user@]host[:path].
var scp = regexp.MustCompile(`^((?:[\w-]+@)?[\w-]+(?:\.[\w-]+)*)(?::(.*))?$`)

// NormalizeGitURL returns the canonical form of a Git repository URL, for IDs and matching.
// The URL is lower-cased and stripped of whitespace and non-printable runes. http(s) URLs
// lose their user info; http(s) and ssh URLs lose one trailing "/" and then one trailing
// ".git". The SCP form [user@]host:path becomes ssh://[user@]host/path. A URL with a query
// string, or one that does not parse, is returned unchanged.
func NormalizeGitURL(repoURL string) string {
	s := sanitize(repoURL)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "ssh://") {
		u, err := url.Parse(s)
		if err != nil || len(u.Query()) > 0 {
			return repoURL
		}
		if !strings.HasPrefix(s, "ssh://") {
			u.User = nil
		}
		u.Path = trimGitSuffix(u.Path)
		return u.String()
	}
	m := scp.FindStringSubmatch(s)
	if m == nil {
		return repoURL
	}
	p, err := url.Parse(m[2])
	if err != nil {
		return repoURL
	}
	p.Path = trimGitSuffix(p.Path)
	if p.Path == "" {
		return "ssh://" + m[1]
	}
	return "ssh://" + m[1] + "/" + p.String()
}

func trimGitSuffix(p string) string {
	return strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git")
}

// NormalizeImageURL returns the canonical form of a container image repository: lower-cased,
// stripped of whitespace and non-printable runes, and parsed as an image reference. Docker Hub
// repositories (docker.io, index.docker.io, registry-1.docker.io or no registry) become the
// bare repository without "library/" (docker.io/library/nginx → nginx); others become
// <registry>/<repository>, dropping any tag or digest. A reference that does not parse is
// returned unchanged.
func NormalizeImageURL(repoURL string) string {
	return normalizeImage(sanitize(repoURL), repoURL)
}

func normalizeImage(s, orig string) string {
	ref, err := name.ParseReference(s, name.WeakValidation)
	if err != nil {
		return orig
	}
	reg, repo := ref.Context().RegistryStr(), ref.Context().RepositoryStr()
	if reg == name.DefaultRegistry || reg == "registry-1.docker.io" {
		return strings.TrimPrefix(repo, "library/")
	}
	return reg + "/" + repo
}

// NormalizeChartURL returns the canonical form of a Helm chart repository: lower-cased and
// stripped of whitespace and non-printable runes, without an oci:// prefix, then normalised
// as an image repository. Classic https:// repositories do not parse as images and are
// returned lower-cased and stripped.
func NormalizeChartURL(repoURL string) string {
	s := strings.TrimPrefix(sanitize(repoURL), "oci://")
	return normalizeImage(s, s)
}

// sanitize lower-cases s and removes whitespace and non-printable runes, including zero-width
// spaces and byte-order marks.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
