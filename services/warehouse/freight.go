package warehouse

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// artifacts is the status.discoveredArtifacts of one discovery, in subscription order, each
// result carrying its subscription's name.
func artifacts(subs []v1.RepoSubscription, found []Artifacts, now time.Time) *v1.DiscoveredArtifacts {
	d := &v1.DiscoveredArtifacts{DiscoveredAt: &now}
	for i, a := range found {
		switch {
		case a.Git != nil:
			r := *a.Git
			r.SubscriptionName = subs[i].Name
			d.Git = append(d.Git, r)
		case a.Image != nil:
			r := *a.Image
			r.SubscriptionName = subs[i].Name
			d.Images = append(d.Images, r)
		case a.Chart != nil:
			r := *a.Chart
			r.SubscriptionName = subs[i].Name
			d.Charts = append(d.Charts, r)
		case a.Generic != nil:
			r := *a.Generic
			r.SubscriptionName = subs[i].Name
			d.Results = append(d.Results, r)
		}
	}
	return d
}

// newFreight builds the Freight of element 0 of every subscription's artifacts, all of which
// found at least one (docs/resources.md#discovery-and-freight-creation). Its name is set when it is stored.
func newFreight(warehouse string, subs []v1.RepoSubscription, found []Artifacts, discoveredAt time.Time) *v1.Freight {
	f := &v1.Freight{
		TypeMeta:     v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindFreight},
		Origin:       v1.FreightOrigin{Kind: v1.KindWarehouse, Name: warehouse},
		DiscoveredAt: &discoveredAt,
	}
	for i, a := range found {
		name := subs[i].Name
		switch {
		case a.Git != nil:
			c := a.Git.Commits[0]
			f.Commits = append(f.Commits, v1.GitCommit{
				RepoURL: a.Git.RepoURL, ID: c.ID, Branch: c.Branch, Tag: c.Tag, Message: c.Subject,
				Author: c.Author, Committer: c.Committer, SubscriptionName: name,
			})
		case a.Image != nil:
			r := a.Image.References[0]
			f.Images = append(f.Images, v1.Image{
				RepoURL: a.Image.RepoURL, Tag: r.Tag, Digest: r.Digest, Annotations: r.Annotations, SubscriptionName: name,
			})
		case a.Chart != nil:
			f.Charts = append(f.Charts, v1.Chart{
				RepoURL: a.Chart.RepoURL, Name: a.Chart.Name, Version: a.Chart.Versions[0], SubscriptionName: name,
			})
		case a.Generic != nil:
			g := a.Generic.Artifacts[0]
			f.Artifacts = append(f.Artifacts, v1.GenericArtifact{
				ArtifactType: a.Generic.ArtifactType, SubscriptionName: name, Version: g.Version, Metadata: g.Metadata,
			})
		}
	}
	return f
}
