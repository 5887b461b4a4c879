package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
	"github.com/drayhq/dray/pkg/discovery/chart"
	"github.com/drayhq/dray/pkg/discovery/gitdisc"
	"github.com/drayhq/dray/pkg/discovery/image"
)

// Discoverer discovers what one subscription of a Warehouse in project offers now, best
// first. It must be safe for concurrent use.
type Discoverer interface {
	Discover(ctx context.Context, project string, sub v1.RepoSubscription) (Artifacts, error)
}

// Artifacts is what one subscription's discovery found: exactly one field is set.
type Artifacts struct {
	Git   *v1.GitDiscoveryResult
	Image *v1.ImageDiscoveryResult
	Chart *v1.ChartDiscoveryResult
}

// count is how many artifacts were found.
func (a Artifacts) count() int {
	switch {
	case a.Git != nil:
		return len(a.Git.Commits)
	case a.Image != nil:
		return len(a.Image.References)
	case a.Chart != nil:
		return len(a.Chart.Versions)
	}
	return 0
}

// ErrUnsupported is returned for a subscription without a kind this service discovers.
var ErrUnsupported = errors.New("subscription kind not supported")

// Shared limits of RemoteDiscoverer.
const (
	// registryRate and registryBurst pace the requests to each registry or chart host.
	registryRate  = 20
	registryBurst = 40
	// listingMaxAge is how long an image tag listing serves other Warehouses of the same
	// repository; a refresh lists again.
	listingMaxAge = 10 * time.Second
)

// RemoteDiscoverer discovers subscriptions against their real remotes. Warehouses that
// subscribe to the same Git repository the same way share one cached result while the
// remote's references do not change; those subscribing to the same image repository share
// its tag listing for a few seconds; requests to each registry host are rate limited
// together. It is safe for concurrent use.
type RemoteDiscoverer struct {
	git    *gitdisc.Cache
	tags   *image.Lister
	limits *discovery.RateLimiter
}

var _ Discoverer = (*RemoteDiscoverer)(nil)

// NewRemoteDiscoverer returns a RemoteDiscoverer with empty caches. Repositories are read
// anonymously.
func NewRemoteDiscoverer() *RemoteDiscoverer {
	return &RemoteDiscoverer{
		git:    gitdisc.NewCache(),
		tags:   image.NewLister(listingMaxAge),
		limits: discovery.NewRateLimiter(registryRate, registryBurst),
	}
}

// Discover runs the discovery of sub's kind.
func (r *RemoteDiscoverer) Discover(ctx context.Context, _ string, sub v1.RepoSubscription) (Artifacts, error) {
	switch {
	case sub.Git != nil:
		res, err := gitdisc.Discover(ctx, *sub.Git, gitdisc.Options{Cache: r.git})
		return Artifacts{Git: &res}, err
	case sub.Image != nil:
		res, err := image.Discover(ctx, *sub.Image, image.Options{RateLimiter: r.limits, Lister: r.tags})
		return Artifacts{Image: &res}, err
	case sub.Chart != nil:
		res, err := chart.Discover(ctx, *sub.Chart, chart.Options{RateLimiter: r.limits})
		return Artifacts{Chart: &res}, err
	}
	return Artifacts{}, fmt.Errorf("%w: the subscription has no git, image or chart key", ErrUnsupported)
}

// Forget drops what is shared about sub's repository, so a refresh sees the repository as
// it is now.
func (r *RemoteDiscoverer) Forget(sub v1.RepoSubscription) {
	if sub.Image != nil {
		r.tags.Invalidate(sub.Image.RepoURL)
	}
}

// forgetter is a Discoverer that shares listings between Warehouses and can drop them.
type forgetter interface {
	Forget(sub v1.RepoSubscription)
}
