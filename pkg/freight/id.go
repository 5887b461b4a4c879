package freight

import (
	"crypto/sha1"
	"encoding/hex"
	"path"
	"sort"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// ID returns the content-derived name of f: the lower-case hex SHA-1 of
//
//	origin.kind + "/" + origin.name + ":" + join(sort(parts), "|")
//
// with one part per artifact:
//
//	commit: NormalizeGitURL(repoURL) + ":" + [tag + ":"] + id
//	image:  repoURL + ":" + tag + "@" + digest        (repoURL as it is)
//	chart:  path.Join(NormalizeChartURL(repoURL), name) + ":" + version
//	generic artifact: artifactType + ":" + version
//
// each followed by ":" + subscriptionName when that is set. Equal content from the same origin
// always gives the same ID, whatever the order of the artifacts; f's name and status are not
// read.
func ID(f *v1.Freight) string {
	parts := make([]string, 0, len(f.Commits)+len(f.Images)+len(f.Charts))
	for _, c := range f.Commits {
		p := NormalizeGitURL(c.RepoURL) + ":"
		if c.Tag != "" {
			p += c.Tag + ":"
		}
		parts = append(parts, withSubscription(p+c.ID, c.SubscriptionName))
	}
	for _, i := range f.Images {
		parts = append(parts, withSubscription(i.RepoURL+":"+i.Tag+"@"+i.Digest, i.SubscriptionName))
	}
	for _, c := range f.Charts {
		// path.Join cleans, so "https://x" becomes "https:/x"; Kargo does the same.
		p := path.Join(NormalizeChartURL(c.RepoURL), c.Name) + ":" + c.Version
		parts = append(parts, withSubscription(p, c.SubscriptionName))
	}
	for _, a := range f.Artifacts {
		parts = append(parts, withSubscription(a.ArtifactType+":"+a.Version, a.SubscriptionName))
	}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(f.Origin.Kind + "/" + f.Origin.Name + ":" + strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])
}

func withSubscription(part, name string) string {
	if name == "" {
		return part
	}
	return part + ":" + name
}
