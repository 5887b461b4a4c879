package chart

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
)

// maxIndexSize bounds the index.yaml read, so a broken server cannot exhaust memory. The
// largest public indexes are a few tens of megabytes.
const maxIndexSize = 256 << 20

// Options are what discovery needs besides the subscription. The zero value reads anonymously
// over http.DefaultTransport.
type Options struct {
	// Username and Password, when Username is set, are sent as basic auth to the classic
	// repository or the OCI registry.
	Username, Password string
	// Transport carries the requests. Nil means http.DefaultTransport. The subscription's
	// insecureSkipTLSVerify is applied to it when it is an *http.Transport.
	Transport http.RoundTripper
	// RateLimiter paces requests per host, shared by all subscriptions. Nil means no limit.
	RateLimiter *discovery.RateLimiter
}

// Discover returns the versions of sub's chart, newest first, at most discoveryLimit of them.
// Versions that do not parse as (lenient) semver are dropped; equal versions are ordered by
// their original strings, descending; semverConstraint, when set, must hold. Errors name the
// repository and, for a bad subscription, the field to fix. Discover is safe for concurrent
// use.
func Discover(ctx context.Context, sub v1.ChartSubscription, o Options) (v1.ChartDiscoveryResult, error) {
	res := v1.ChartDiscoveryResult{RepoURL: sub.RepoURL, Name: sub.Name, SemverConstraint: sub.SemverConstraint, Versions: []string{}}
	fail := func(format string, a ...any) (v1.ChartDiscoveryResult, error) {
		return res, fmt.Errorf("chart subscription %s: "+format, append([]any{sub.RepoURL}, a...)...)
	}
	c, err := discovery.Constraint("semverConstraint", sub.SemverConstraint)
	if err != nil {
		return fail("%w", err)
	}
	rt := discovery.Transport(o.Transport, sub.InsecureSkipTLSVerify, o.RateLimiter)
	var versions []string
	switch {
	case strings.HasPrefix(sub.RepoURL, "oci://"):
		if sub.Name != "" {
			return fail("name must be empty for an oci:// repository: put the chart in repoURL (oci://registry/path/%s)", sub.Name)
		}
		versions, err = ociVersions(ctx, strings.TrimPrefix(sub.RepoURL, "oci://"), rt, o)
	case strings.HasPrefix(sub.RepoURL, "https://"), strings.HasPrefix(sub.RepoURL, "http://"):
		if sub.Name == "" {
			return fail("name is required for a classic (http/https) chart repository")
		}
		versions, err = indexVersions(ctx, sub.RepoURL, sub.Name, rt, o)
	default:
		return fail("repoURL must start with https://, http:// or oci://")
	}
	if err != nil {
		return fail("%w", err)
	}
	res.Versions = discovery.Truncate(discovery.SortSemverWith(versions, c, false), sub.DiscoveryLimit)
	return res, nil
}

// indexVersions reads the versions of chart name from the repository's index.yaml.
func indexVersions(ctx context.Context, repoURL, chart string, rt http.RoundTripper, o Options) ([]string, error) {
	u := strings.TrimSuffix(repoURL, "/") + "/index.yaml"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("repoURL: %w", err)
	}
	if o.Username != "" {
		req.SetBasicAuth(o.Username, o.Password)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("get index.yaml: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = ": check the repository's credentials"
		}
		return nil, fmt.Errorf("get index.yaml: %s%s", resp.Status, hint)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxIndexSize))
	if err != nil {
		return nil, fmt.Errorf("read index.yaml: %w", err)
	}
	var idx repo.IndexFile
	if err := yaml.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("decode index.yaml: %w", err)
	}
	entries, ok := idx.Entries[chart]
	if !ok {
		return nil, fmt.Errorf("chart %q is not in index.yaml: check name", chart)
	}
	versions := make([]string, 0, len(entries))
	for _, cv := range entries {
		if cv != nil && cv.Metadata != nil && cv.Version != "" {
			versions = append(versions, cv.Version)
		}
	}
	return versions, nil
}

// ociVersions lists the tags of an OCI chart repository as chart versions.
func ociVersions(ctx context.Context, repository string, rt http.RoundTripper, o Options) ([]string, error) {
	r, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("repoURL is not oci://registry/path/chart: %w", err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(rt)}
	if o.Username != "" {
		ropts = append(ropts, remote.WithAuth(&authn.Basic{Username: o.Username, Password: o.Password}))
	}
	tags, err := remote.List(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	for i, t := range tags {
		tags[i] = strings.ReplaceAll(t, "_", "+")
	}
	return tags, nil
}
