package warehouse

import (
	"cmp"
	"context"
	"errors"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery/gitdisc"
	"github.com/drayhq/dray/pkg/discovery/image"
	"github.com/drayhq/dray/pkg/freight"
)

// hint is what one refresh command says was pushed.
type hint struct {
	id string // the command's ID: Warehouses refreshed by one delivery share its lookups
	v1.RefreshArtifact
}

// hintsOf returns the hints of a job's refreshes, or nil unless every refresh names a pushed
// artifact: a refresh without one asks for a full discovery.
func hintsOf(refreshes []*refreshRequest) []hint {
	var out []hint
	for _, r := range refreshes {
		if r.artifact == nil || r.artifact.RepoURL == "" {
			return nil
		}
		out = append(out, hint{id: r.id, RefreshArtifact: *r.artifact})
	}
	return out
}

// refreshedAt is when the newest of the job's refreshes arrived; zero without any.
func refreshedAt(refreshes []*refreshRequest) time.Time {
	var t time.Time
	for _, r := range refreshes {
		if r.at.After(t) {
			t = r.at
		}
	}
	return t
}

// previous returns the last discovery's results by subscription, when they are complete and
// of the current spec; nil otherwise.
func previous(j job) []Artifacts {
	d := j.status.DiscoveredArtifacts
	if d == nil || j.status.ObservedSpec != j.spec || len(j.status.Errors) > 0 {
		return nil
	}
	out := make([]Artifacts, len(j.wh.Spec.Subscriptions))
	var g, im, c int
	for i, sub := range j.wh.Spec.Subscriptions {
		switch {
		case sub.Git != nil && g < len(d.Git):
			out[i] = Artifacts{Git: &d.Git[g]}
			g++
		case sub.Image != nil && im < len(d.Images):
			out[i] = Artifacts{Image: &d.Images[im]}
			im++
		case sub.Chart != nil && c < len(d.Charts):
			out[i] = Artifacts{Chart: &d.Charts[c]}
			c++
		default:
			return nil
		}
	}
	if g != len(d.Git) || im != len(d.Images) || c != len(d.Charts) {
		return nil
	}
	return out
}

// fromHints tries to bring sub's last result prev up to date from the hints alone, and
// reports whether it could; otherwise sub is discovered in full. A subscription that no hint
// concerns keeps prev while the last full discovery is younger than the interval. An image
// tag that the subscription could select is looked up (a registry call or two) and merged
// into prev; one it could not select leaves prev as it is. A Git push that cannot change
// the selection (a tag for a branch subscription, a branch for a tag subscription, the commit
// already at the head) leaves prev as it is.
func (s *tracker) fromHints(ctx context.Context, j job, sub v1.RepoSubscription, prev Artifacts, hints []hint) (Artifacts, bool) {
	var mine []hint
	for _, h := range hints {
		if concerns(h, sub) {
			mine = append(mine, h)
		}
	}
	if len(mine) == 0 {
		return prev, !j.polledAt.IsZero() && time.Since(j.polledAt) < s.interval(j.wh.Spec)
	}
	switch {
	case sub.Image != nil && prev.Image != nil:
		lk, ok := s.opts.Discoverer.(imageLooker)
		if !ok {
			return prev, false
		}
		refs := prev.Image.References
		for _, h := range mine {
			if h.Tag == "" {
				return prev, false // a digest alone cannot be placed among tags
			}
			ref, err := lk.LookupImage(ctx, j.project, h.id, *sub.Image, h.Tag)
			if errors.Is(err, image.ErrNotEligible) {
				continue
			}
			if err != nil {
				s.Log.Debug("lookup of pushed image failed; discovering in full", "project", j.project, "warehouse", j.wh.Metadata.Name, "tag", h.Tag, "err", err)
				return prev, false
			}
			if refs, err = image.Merge(*sub.Image, refs, ref); err != nil {
				return prev, false
			}
		}
		res := *prev.Image
		res.References = refs
		return Artifacts{Image: &res}, true
	case sub.Git != nil && prev.Git != nil:
		branch := cmp.Or(sub.Git.CommitSelectionStrategy, gitdisc.NewestFromBranch) == gitdisc.NewestFromBranch
		for _, h := range mine {
			switch {
			case branch && h.Commit == "" && h.Tag != "":
			case !branch && h.Tag == "" && h.Commit != "":
			case branch && h.Commit != "" && len(prev.Git.Commits) > 0 && prev.Git.Commits[0].ID == h.Commit:
			default:
				return prev, false
			}
		}
		return prev, true
	}
	return prev, false
}

// concerns reports whether h names sub's repository (normalised, docs/resources.md#how-urls-are-compared).
func concerns(h hint, sub v1.RepoSubscription) bool {
	switch {
	case sub.Git != nil:
		return freight.NormalizeGitURL(h.RepoURL) == freight.NormalizeGitURL(sub.Git.RepoURL)
	case sub.Image != nil:
		return freight.NormalizeImageURL(h.RepoURL) == freight.NormalizeImageURL(sub.Image.RepoURL)
	case sub.Chart != nil:
		return freight.NormalizeChartURL(h.RepoURL) == freight.NormalizeChartURL(sub.Chart.RepoURL)
	}
	return true
}
