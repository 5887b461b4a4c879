package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/google/go-containerregistry/pkg/authn"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
	"github.com/drayhq/dray/pkg/discovery/chart"
	"github.com/drayhq/dray/pkg/discovery/gitdisc"
	"github.com/drayhq/dray/pkg/discovery/image"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/secret"
)

// Discoverer discovers what one subscription of a Warehouse in project offers now, best
// first. It must be safe for concurrent use.
type Discoverer interface {
	Discover(ctx context.Context, project string, sub v1.RepoSubscription) (Artifacts, error)
}

// Artifacts is what one subscription's discovery found: exactly one field is set.
type Artifacts struct {
	Git     *v1.GitDiscoveryResult
	Image   *v1.ImageDiscoveryResult
	Chart   *v1.ChartDiscoveryResult
	Generic *v1.GenericDiscoveryResult
}

// GenericDiscoverer discovers the artifacts of generic subscriptions of one type (Kargo's
// generic subscriptions), best first. It must be safe for concurrent use.
type GenericDiscoverer interface {
	Discover(ctx context.Context, project string, sub v1.GenericSubscription) ([]v1.DiscoveredGenericArtifact, error)
}

// WithGeneric registers d as the discoverer of generic subscriptions of type kind. Without
// one, such a subscription fails discovery with ErrUnsupported, naming the type.
func WithGeneric(kind string, d GenericDiscoverer) RemoteOption {
	return func(r *RemoteDiscoverer) {
		if r.generic == nil {
			r.generic = map[string]GenericDiscoverer{}
		}
		r.generic[kind] = d
	}
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
	case a.Generic != nil:
		return len(a.Generic.Artifacts)
	}
	return 0
}

// ErrUnsupported is returned for a subscription without a kind this service discovers.
var ErrUnsupported = errors.New("subscription kind not supported")

// Shared limits of RemoteDiscoverer.
const (
	// DefaultRegistryRate and DefaultRegistryBurst pace the requests to each registry or
	// chart host.
	DefaultRegistryRate  = 20
	DefaultRegistryBurst = 40
	// listingMaxAge is how long an image tag listing, or a whole image discovery, serves other
	// Warehouses with the same subscription; a refresh lists again.
	listingMaxAge = 10 * time.Second
	// maxShared bounds the shared results; when full they start over.
	maxShared = 4096
)

// CredentialStore finds a project's credentials for a repository; *secret.Store is one.
type CredentialStore interface {
	Credentials(ctx context.Context, project, credType, repoURL string) (*secret.Credentials, error)
}

// RemoteDiscoverer discovers subscriptions against their real remotes, with the project's
// credentials. Warehouses that subscribe to the same Git repository the same way share one
// cached result while the remote's references do not change; Warehouses with the same image
// subscription share one discovery (and its tag listing) for a few seconds, or until a
// refresh; Warehouses of one Git repository share its ls-remote the same way; requests to each
// registry host are rate limited together. It is safe for concurrent use.
type RemoteDiscoverer struct {
	git       *gitdisc.Cache
	tags      *image.Lister
	tagMeta   *image.TagCache
	limits    *discovery.RateLimiter
	creds     CredentialStore
	transport http.RoundTripper
	gitTrans  gitrepo.Transports

	images  *flights[v1.ImageDiscoveryResult]
	lookups *flights[v1.DiscoveredImageReference]
	refs    *flights[[]*plumbing.Reference] // git ls-remote, per repository and credentials

	mu        sync.Mutex
	forgotten map[string]time.Time // normalised image repository → when its results were dropped
	generic   map[string]GenericDiscoverer
}

var _ Discoverer = (*RemoteDiscoverer)(nil)

// RemoteOption configures a RemoteDiscoverer.
type RemoteOption func(*RemoteDiscoverer)

// WithCredentials reads credentials from store: Git (kargo.akuity.io/cred-type git) as HTTPS
// basic auth or an SSH key, images (image) as registry basic auth, charts (helm, else image
// for oci:// repositories) as basic auth; the project's Secrets first, then the shared
// project's. Default: every repository is read anonymously. A nil store is ignored.
func WithCredentials(store CredentialStore) RemoteOption {
	return func(r *RemoteDiscoverer) {
		if store != nil && store != (*secret.Store)(nil) {
			r.creds = store
		}
	}
}

// WithRegistryRate paces the requests to each registry and chart host to perSecond with
// bursts of burst. Default DefaultRegistryRate and DefaultRegistryBurst.
func WithRegistryRate(perSecond float64, burst int) RemoteOption {
	return func(r *RemoteDiscoverer) { r.limits = discovery.NewRateLimiter(perSecond, burst) }
}

// WithTransport carries the registry and chart requests over rt. Default
// http.DefaultTransport.
func WithTransport(rt http.RoundTripper) RemoteOption {
	return func(r *RemoteDiscoverer) { r.transport = rt }
}

// WithGitTransports allows Git subscriptions to use the transports t names beyond https,
// http and ssh (gitrepo.Transports). Default none.
func WithGitTransports(t gitrepo.Transports) RemoteOption {
	return func(r *RemoteDiscoverer) { r.gitTrans = t }
}

// NewRemoteDiscoverer returns a RemoteDiscoverer with empty caches.
func NewRemoteDiscoverer(opts ...RemoteOption) *RemoteDiscoverer {
	r := &RemoteDiscoverer{
		git:       gitdisc.NewCache(),
		tags:      image.NewLister(listingMaxAge),
		tagMeta:   image.NewTagCache(0),
		limits:    discovery.NewRateLimiter(DefaultRegistryRate, DefaultRegistryBurst),
		images:    newFlights[v1.ImageDiscoveryResult](listingMaxAge),
		lookups:   newFlights[v1.DiscoveredImageReference](0),
		refs:      newFlights[[]*plumbing.Reference](listingMaxAge),
		forgotten: map[string]time.Time{},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Discover runs the discovery of sub's kind.
func (r *RemoteDiscoverer) Discover(ctx context.Context, project string, sub v1.RepoSubscription) (Artifacts, error) {
	switch {
	case sub.Git != nil:
		var auth transport.AuthMethod
		var err error
		if a := gitrepo.ProjectAuth(r.creds, project); a != nil {
			auth, err = a(ctx, sub.Git.RepoURL)
		}
		if err != nil {
			return Artifacts{Git: &v1.GitDiscoveryResult{RepoURL: sub.Git.RepoURL}}, fmt.Errorf("credentials for %s: %w", redactURL(sub.Git.RepoURL), err)
		}
		shareWith := "anonymous"
		if auth != nil {
			shareWith = project // credentials are per project: share within it only
		}
		listRefs := func(ctx context.Context, repoURL string, list func(context.Context) ([]*plumbing.Reference, error)) ([]*plumbing.Reference, error) {
			return r.refs.do(ctx, gitKey(repoURL)+"\x00"+shareWith, r.sinceKey(gitKey(repoURL)), list)
		}
		res, err := gitdisc.Discover(ctx, *sub.Git, gitdisc.Options{Cache: r.git, Auth: auth, ListRefs: listRefs, Transports: r.gitTrans})
		return Artifacts{Git: &res}, err
	case sub.Image != nil:
		o, key, err := r.imageOptions(ctx, project, *sub.Image)
		if err != nil {
			return Artifacts{Image: &v1.ImageDiscoveryResult{RepoURL: sub.Image.RepoURL}}, err
		}
		res, err := r.images.do(ctx, key, r.since(sub.Image.RepoURL), func(ctx context.Context) (v1.ImageDiscoveryResult, error) {
			return image.Discover(ctx, *sub.Image, o)
		})
		res.RepoURL, res.Platform = sub.Image.RepoURL, sub.Image.Platform
		return Artifacts{Image: &res}, err
	case sub.Chart != nil:
		o := chart.Options{RateLimiter: r.limits, Transport: r.transport}
		c, err := r.credentials(ctx, project, secret.TypeHelm, sub.Chart.RepoURL)
		if err == nil && c == nil && strings.HasPrefix(sub.Chart.RepoURL, "oci://") {
			c, err = r.credentials(ctx, project, secret.TypeImage, strings.TrimPrefix(sub.Chart.RepoURL, "oci://"))
		}
		if err != nil {
			return Artifacts{Chart: &v1.ChartDiscoveryResult{RepoURL: sub.Chart.RepoURL, Name: sub.Chart.Name}}, err
		}
		if c != nil {
			o.Username, o.Password = c.Username, c.Password
		}
		res, err := chart.Discover(ctx, *sub.Chart, o)
		return Artifacts{Chart: &res}, err
	case sub.Generic != nil:
		res := &v1.GenericDiscoveryResult{SubscriptionName: sub.Name, ArtifactType: sub.Generic.Type}
		d := r.generic[sub.Generic.Type]
		if d == nil {
			return Artifacts{Generic: res}, fmt.Errorf("%w: no discoverer for generic subscriptions of type %q is registered", ErrUnsupported, sub.Generic.Type)
		}
		found, err := d.Discover(ctx, project, *sub.Generic)
		limit := sub.Generic.DiscoveryLimit
		if limit <= 0 {
			limit = 20
		}
		found = found[:min(len(found), limit)]
		res.Artifacts = found
		return Artifacts{Generic: res}, err
	}
	return Artifacts{}, fmt.Errorf("%w: the subscription has no git, image or chart key", ErrUnsupported)
}

// LookupImage reads the one image tag a webhook named, as image.Lookup does. Warehouses with
// the same subscription refreshed by the same command ID (one webhook delivery) share one
// lookup.
func (r *RemoteDiscoverer) LookupImage(ctx context.Context, project, refreshID string, sub v1.ImageSubscription, tag string) (v1.DiscoveredImageReference, error) {
	o, key, err := r.imageOptions(ctx, project, sub)
	if err != nil {
		return v1.DiscoveredImageReference{}, err
	}
	lookup := func(ctx context.Context) (v1.DiscoveredImageReference, error) {
		return image.Lookup(ctx, sub, tag, o)
	}
	if refreshID == "" {
		return lookup(ctx)
	}
	return r.lookups.do(ctx, refreshID+"\x00"+tag+"\x00"+key, time.Time{}, lookup)
}

// imageOptions are the options of sub's discovery in project, and the key under which
// Warehouses with the same subscription and credentials share its results.
func (r *RemoteDiscoverer) imageOptions(ctx context.Context, project string, sub v1.ImageSubscription) (image.Options, string, error) {
	o := image.Options{RateLimiter: r.limits, Lister: r.tags, TagCache: r.tagMeta, Transport: r.transport}
	c, err := r.credentials(ctx, project, secret.TypeImage, sub.RepoURL)
	if err != nil {
		return o, "", err
	}
	fingerprint := "anonymous"
	if c != nil {
		o.Auth = &authn.Basic{Username: c.Username, Password: c.Password}
		fingerprint = project // credentials are per project: share within it only
	}
	sub.RepoURL = freight.NormalizeImageURL(sub.RepoURL)
	b, _ := json.Marshal(sub) // strings, ints and bools always encode
	return o, sub.RepoURL + "\x00" + fingerprint + "\x00" + string(b), nil
}

// credentials looks up the project's credentials of credType for repoURL; nil without a
// store or a match.
func (r *RemoteDiscoverer) credentials(ctx context.Context, project, credType, repoURL string) (*secret.Credentials, error) {
	if r.creds == nil {
		return nil, nil
	}
	c, err := r.creds.Credentials(ctx, project, credType, repoURL)
	if err != nil {
		return nil, fmt.Errorf("read %s credentials for %s: %w", credType, redactURL(repoURL), err)
	}
	return c, nil
}

// Forget drops what is shared about sub's repository, so a refresh received at since sees
// the repository as it is now. What was listed or discovered after an earlier Forget that
// was itself after since is kept: the Warehouses refreshed by one webhook share one listing.
func (r *RemoteDiscoverer) Forget(sub v1.RepoSubscription, since time.Time) {
	if sub.Git != nil {
		key := gitKey(sub.Git.RepoURL)
		r.mu.Lock()
		defer r.mu.Unlock()
		if last, ok := r.forgotten[key]; ok && !last.Before(since) {
			return
		}
		r.forgotten[key] = time.Now()
		r.refs.forget(key + "\x00")
		return
	}
	if sub.Image == nil {
		return
	}
	repo := freight.NormalizeImageURL(sub.Image.RepoURL)
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.forgotten[repo]; ok && !last.Before(since) {
		return
	}
	if len(r.forgotten) >= maxShared {
		clear(r.forgotten)
	}
	now := time.Now()
	r.forgotten[repo] = now
	r.tags.Invalidate(sub.Image.RepoURL)
	r.images.forget(repo + "\x00")
}

// since is when the results of repoURL were last dropped: shared results must be newer.
func (r *RemoteDiscoverer) since(repoURL string) time.Time {
	return r.sinceKey(freight.NormalizeImageURL(repoURL))
}

func (r *RemoteDiscoverer) sinceKey(key string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.forgotten[key]
}

// gitKey names a Git repository among the shared results; it cannot be an image's.
func gitKey(repoURL string) string { return "git:" + freight.NormalizeGitURL(repoURL) }

// redactURL drops the user information from a repository URL, so messages never carry a
// password.
func redactURL(repoURL string) string {
	u, err := url.Parse(repoURL)
	if err != nil || u.User == nil {
		return repoURL
	}
	u.User = nil
	return u.String()
}

// forgetter is a Discoverer that shares results between Warehouses and can drop them.
type forgetter interface {
	Forget(sub v1.RepoSubscription, since time.Time)
}

// imageLooker is a Discoverer that can read one pushed image tag instead of listing.
type imageLooker interface {
	LookupImage(ctx context.Context, project, refreshID string, sub v1.ImageSubscription, tag string) (v1.DiscoveredImageReference, error)
}
