package image

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
)

// Image selection strategies (imageSelectionStrategy).
const (
	SemVer      = "SemVer"
	Lexical     = "Lexical"
	Digest      = "Digest"
	NewestBuild = "NewestBuild"
)

// ErrNotFound is returned by Lookup when the registry has no such tag or digest.
var ErrNotFound = errors.New("image not found")

// ErrNotEligible is returned by Lookup when the tag or image exists but the subscription would
// not select it (filtered out, not a matching version, not the followed tag, wrong platform).
var ErrNotEligible = errors.New("image not eligible for the subscription")

// Discover lists the images of sub's repository that its strategy selects, best first, at most
// discoveryLimit of them (docs/resources.md#image-subscriptions). A Digest subscription whose tag does not exist
// gives an empty result, not an error. Errors name the repository and, for a bad subscription,
// the field to fix. Discover is safe for concurrent use.
func Discover(ctx context.Context, sub v1.ImageSubscription, o Options) (v1.ImageDiscoveryResult, error) {
	res := v1.ImageDiscoveryResult{RepoURL: sub.RepoURL, Platform: sub.Platform, References: []v1.DiscoveredImageReference{}}
	d, err := newDiscoverer(sub, o)
	if err != nil {
		return res, err
	}
	refs, err := d.discover(ctx)
	if err != nil {
		return res, fmt.Errorf("discover images in %s: %w", sub.RepoURL, err)
	}
	res.References = refs
	return res, nil
}

// discoverer is one subscription's discovery, ready to run.
type discoverer struct {
	sub        v1.ImageSubscription
	strategy   string
	repo       name.Repository
	filter     *discovery.CompiledFilter
	constraint *semver.Constraints
	strict     bool
	platform   *cr.Platform
	limit      int
	conc       int
	puller     *remote.Puller
	lister     *Lister
	listKey    string
	// cache, when set, holds this subscription's tag metadata under cacheKey+tag.
	cache    *TagCache
	cacheKey string
}

// newDiscoverer checks sub and prepares its discovery. Errors name the field at fault.
func newDiscoverer(sub v1.ImageSubscription, o Options) (*discoverer, error) {
	d := &discoverer{
		sub:      sub,
		strategy: cmp.Or(sub.ImageSelectionStrategy, SemVer),
		strict:   sub.StrictSemvers == nil || *sub.StrictSemvers,
		limit:    discovery.Limit(sub.DiscoveryLimit),
		conc:     o.concurrency(),
		lister:   o.Lister,
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("image subscription %s: "+format, append([]any{sub.RepoURL}, a...)...)
	}
	var err error
	if d.repo, err = name.NewRepository(sub.RepoURL); err != nil {
		return nil, fail("repoURL is not a repository name (registry/path, without tag): %w", err)
	}
	switch d.strategy {
	case SemVer:
		if d.constraint, err = discovery.Constraint("constraint", sub.Constraint); err != nil {
			return nil, fail("%w", err)
		}
	case Digest:
		if sub.Constraint == "" {
			return nil, fail("constraint is required with imageSelectionStrategy Digest: set it to the tag to follow")
		}
	case Lexical, NewestBuild:
	default:
		return nil, fail("imageSelectionStrategy %q is not one of SemVer, Lexical, Digest, NewestBuild", d.strategy)
	}
	if d.strategy != Digest {
		f := discovery.TagFilter{Allow: sub.AllowTagsRegexes, Ignore: sub.IgnoreTagsRegexes, DeprecatedAllow: sub.AllowTags, DeprecatedIgnore: sub.IgnoreTags}
		if d.filter, err = f.Compile(); err != nil {
			return nil, fail("%w", err)
		}
	}
	if sub.Platform != "" {
		if d.platform, err = parsePlatform(sub.Platform); err != nil {
			return nil, fail("%w", err)
		}
	}
	rt := discovery.Transport(o.Transport, sub.InsecureSkipTLSVerify, o.RateLimiter)
	ropts := []remote.Option{remote.WithTransport(rt)}
	if o.Auth != nil {
		ropts = append(ropts, remote.WithAuth(o.Auth))
	}
	if d.puller, err = remote.NewPuller(ropts...); err != nil {
		return nil, fail("%w", err)
	}
	if d.lister != nil || o.TagCache != nil && sub.CacheByTag {
		if d.listKey, err = listKey(sub.RepoURL, o.Auth); err != nil {
			return nil, fail("%w", err)
		}
	}
	if o.TagCache != nil && sub.CacheByTag && d.strategy != Digest {
		d.cache, d.cacheKey = o.TagCache, d.listKey+"\x00"+sub.Platform+"\x00"
	}
	return d, nil
}

func parsePlatform(s string) (*cr.Platform, error) {
	p, err := cr.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" || p.OSVersion != "" {
		return nil, fmt.Errorf("platform %q is not os/arch[/variant], e.g. linux/arm64/v8", s)
	}
	return p, nil
}

// discover runs the strategy and returns the chosen references, best first.
func (d *discoverer) discover(ctx context.Context) ([]v1.DiscoveredImageReference, error) {
	if d.strategy == Digest {
		m, err := d.read(ctx, d.repo.Tag(d.sub.Constraint), d.sub.Constraint)
		switch {
		case errors.Is(err, ErrNotFound):
			return []v1.DiscoveredImageReference{}, nil
		case err != nil:
			return nil, err
		case !m.eligible:
			return []v1.DiscoveredImageReference{}, nil
		}
		return []v1.DiscoveredImageReference{m.ref}, nil
	}
	tags, err := d.tags(ctx)
	if err != nil {
		return nil, err
	}
	tags = d.filter.Filter(tags)
	switch d.strategy {
	case SemVer:
		return d.firstEligible(ctx, discovery.SortSemverWith(tags, d.constraint, d.strict))
	case Lexical:
		return d.firstEligible(ctx, discovery.SortLexical(tags))
	default: // NewestBuild
		metas, err := d.readAll(ctx, tags)
		if err != nil {
			return nil, err
		}
		refs := make([]v1.DiscoveredImageReference, 0, len(metas))
		for _, m := range metas {
			if m != nil && m.eligible {
				refs = append(refs, m.ref)
			}
		}
		slices.SortFunc(refs, byBuildTime)
		return discovery.Truncate(refs, d.limit), nil
	}
}

// tags lists the repository's tags, through the shared Lister when there is one.
func (d *discoverer) tags(ctx context.Context) ([]string, error) {
	list := func(ctx context.Context) ([]string, error) {
		tags, err := d.puller.List(ctx, d.repo)
		if err != nil {
			return nil, fmt.Errorf("list tags: %w", err)
		}
		return tags, nil
	}
	if d.lister == nil {
		return list(ctx)
	}
	return d.lister.list(ctx, d.listKey, list)
}

// firstEligible reads the metadata of tags, already in order, until limit of them are
// eligible, and returns those. Without a platform filter every existing tag is eligible, so
// it reads limit tags; with one it reads on in batches.
func (d *discoverer) firstEligible(ctx context.Context, tags []string) ([]v1.DiscoveredImageReference, error) {
	refs := make([]v1.DiscoveredImageReference, 0, min(d.limit, len(tags)))
	for len(tags) > 0 && len(refs) < d.limit {
		n := min(len(tags), max(d.limit-len(refs), d.conc))
		if d.platform == nil {
			n = min(len(tags), d.limit-len(refs))
		}
		metas, err := d.readAll(ctx, tags[:n])
		if err != nil {
			return nil, err
		}
		tags = tags[n:]
		for _, m := range metas {
			if m != nil && m.eligible && len(refs) < d.limit {
				refs = append(refs, m.ref)
			}
		}
	}
	return refs, nil
}

// byBuildTime orders references newest build first, then by tag descending. References
// without a build time come last.
func byBuildTime(a, b v1.DiscoveredImageReference) int {
	switch {
	case a.CreatedAt == nil && b.CreatedAt != nil:
		return 1
	case a.CreatedAt != nil && b.CreatedAt == nil:
		return -1
	case a.CreatedAt != nil && b.CreatedAt != nil:
		if c := b.CreatedAt.Compare(*a.CreatedAt); c != 0 {
			return c
		}
	}
	return cmp.Compare(b.Tag, a.Tag)
}
