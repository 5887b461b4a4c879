package image

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
)

// Lookup reads the one image that a webhook names, by tag or by digest ("sha256:…"), with a
// registry call or a few instead of a listing. A tag must be one the subscription would select
// (it passes the regexes, is a version within the constraint for SemVer, is the followed tag
// for Digest); otherwise Lookup returns an error wrapping ErrNotEligible without calling the
// registry. A missing tag or digest gives ErrNotFound, an image without the subscription's
// platform ErrNotEligible. Fold the result into the last discovery with Merge.
func Lookup(ctx context.Context, sub v1.ImageSubscription, tagOrDigest string, o Options) (v1.DiscoveredImageReference, error) {
	d, err := newDiscoverer(sub, o)
	if err != nil {
		return v1.DiscoveredImageReference{}, err
	}
	var ref name.Reference
	tag := ""
	if strings.Contains(tagOrDigest, ":") {
		if ref, err = name.NewDigest(d.repo.String() + "@" + tagOrDigest); err != nil {
			return v1.DiscoveredImageReference{}, fmt.Errorf("look up %s in %s: %w", tagOrDigest, sub.RepoURL, err)
		}
	} else {
		if err := d.eligible(tagOrDigest); err != nil {
			return v1.DiscoveredImageReference{}, fmt.Errorf("look up %s in %s: %w", tagOrDigest, sub.RepoURL, err)
		}
		tag = tagOrDigest
		ref = d.repo.Tag(tag)
	}
	m, err := d.read(ctx, ref, tag)
	if err != nil {
		return v1.DiscoveredImageReference{}, fmt.Errorf("look up %s in %s: %w", tagOrDigest, sub.RepoURL, err)
	}
	if !m.eligible {
		return v1.DiscoveredImageReference{}, fmt.Errorf("look up %s in %s: %w: no image for platform %q", tagOrDigest, sub.RepoURL, ErrNotEligible, sub.Platform)
	}
	return m.ref, nil
}

// eligible returns nil when the subscription's strategy would consider tag.
func (d *discoverer) eligible(tag string) error {
	switch d.strategy {
	case Digest:
		if tag != d.sub.Constraint {
			return fmt.Errorf("%w: the subscription follows tag %q", ErrNotEligible, d.sub.Constraint)
		}
		return nil
	case SemVer:
		v := discovery.ParseSemver(tag, d.strict)
		if v == nil || (d.constraint != nil && !d.constraint.Check(v)) {
			return fmt.Errorf("%w: not a version within constraint %q", ErrNotEligible, d.sub.Constraint)
		}
	}
	if !d.filter.Match(tag) {
		return fmt.Errorf("%w: excluded by allowTagsRegexes/ignoreTagsRegexes", ErrNotEligible)
	}
	return nil
}

// Merge returns refs (the last discovery's references, best first) with ref put in its place by
// the subscription's strategy, replacing any reference with the same tag, cut to
// discoveryLimit. For Digest the result is ref alone. refs is not modified.
func Merge(sub v1.ImageSubscription, refs []v1.DiscoveredImageReference, ref v1.DiscoveredImageReference) ([]v1.DiscoveredImageReference, error) {
	strategy := cmp.Or(sub.ImageSelectionStrategy, SemVer)
	if strategy == Digest {
		return []v1.DiscoveredImageReference{ref}, nil
	}
	order := byBuildTime
	switch strategy {
	case SemVer:
		strict := sub.StrictSemvers == nil || *sub.StrictSemvers
		order = func(a, b v1.DiscoveredImageReference) int {
			va, vb := discovery.ParseSemver(a.Tag, strict), discovery.ParseSemver(b.Tag, strict)
			if va != nil && vb != nil {
				if c := vb.Compare(va); c != 0 {
					return c
				}
			}
			return cmp.Compare(b.Tag, a.Tag)
		}
	case Lexical:
		order = func(a, b v1.DiscoveredImageReference) int { return cmp.Compare(b.Tag, a.Tag) }
	case NewestBuild:
	default:
		return nil, errors.New("imageSelectionStrategy " + strategy + " is not one of SemVer, Lexical, Digest, NewestBuild")
	}
	out := slices.DeleteFunc(slices.Clone(refs), func(r v1.DiscoveredImageReference) bool { return r.Tag == ref.Tag })
	i, _ := slices.BinarySearchFunc(out, ref, order)
	out = slices.Insert(out, i, ref)
	return discovery.Truncate(out, sub.DiscoveryLimit), nil
}
