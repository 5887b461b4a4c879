package image_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
	"github.com/drayhq/dray/pkg/discovery/image"
)

func TestLookup(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	tests := []struct {
		name    string
		sub     v1.ImageSubscription
		ref     string
		want    v1.DiscoveredImageReference
		wantErr error
		// noCalls: the subscription rules the tag out before any registry call.
		noCalls bool
	}{
		{name: "tag", sub: v1.ImageSubscription{}, ref: "1.6.0", want: f.refs["1.6.0"]},
		{name: "index tag", sub: v1.ImageSubscription{ImageSelectionStrategy: "NewestBuild"}, ref: "1.1.0", want: f.refs["1.1.0"]},
		{
			name: "digest",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Lexical"},
			ref:  f.refs["abc"].Digest,
			want: v1.DiscoveredImageReference{Digest: f.refs["abc"].Digest, CreatedAt: at(7)},
		},
		{name: "followed tag", sub: v1.ImageSubscription{ImageSelectionStrategy: "Digest", Constraint: "latest"}, ref: "latest", want: f.refs["latest"]},
		{name: "not a version", sub: v1.ImageSubscription{}, ref: "abc", wantErr: image.ErrNotEligible, noCalls: true},
		{name: "outside constraint", sub: v1.ImageSubscription{Constraint: "<1.5"}, ref: "1.6.0", wantErr: image.ErrNotEligible, noCalls: true},
		{name: "ignored", sub: v1.ImageSubscription{ImageSelectionStrategy: "Lexical", IgnoreTagsRegexes: []string{"^a"}}, ref: "abc", wantErr: image.ErrNotEligible, noCalls: true},
		{name: "not the followed tag", sub: v1.ImageSubscription{ImageSelectionStrategy: "Digest", Constraint: "latest"}, ref: "1.1.0", wantErr: image.ErrNotEligible, noCalls: true},
		{name: "wrong platform", sub: v1.ImageSubscription{Platform: "linux/s390x"}, ref: "1.1.0", wantErr: image.ErrNotEligible},
		{name: "missing tag", sub: v1.ImageSubscription{}, ref: "9.9.9", wantErr: image.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := tt.sub
			sub.RepoURL = f.repo
			before := reg.count("/v2/")
			got, err := image.Lookup(t.Context(), sub, tt.ref, image.Options{})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Lookup(%s) = %v, want %v", tt.ref, err, tt.wantErr)
				}
				if calls := reg.count("/v2/") - before; tt.noCalls && calls != 0 {
					t.Errorf("Lookup(%s) made %d registry calls, want 0", tt.ref, calls)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%s): %v", tt.ref, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%s) (-want +got):\n%s", tt.ref, diff)
			}
			if calls := reg.count("/tags/list"); calls != 0 {
				t.Errorf("Lookup listed tags %d times, want 0", calls)
			}
		})
	}
}

// TestLookupMerge checks that a webhook's Lookup plus Merge gives what a full discovery gives.
func TestLookupMerge(t *testing.T) {
	for _, strategy := range []string{"SemVer", "Lexical", "NewestBuild", "Digest"} {
		t.Run(strategy, func(t *testing.T) {
			f := newFixture(t, newRegistry(t))
			sub := v1.ImageSubscription{RepoURL: f.repo, ImageSelectionStrategy: strategy, DiscoveryLimit: 5, IgnoreTagsRegexes: []string{"^pushed-"}}
			if strategy == "Digest" {
				sub.Constraint = "latest"
			}
			prev, err := image.Discover(t.Context(), sub, image.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tag := map[string]string{"SemVer": "1.6.5", "Lexical": "zz", "NewestBuild": "1.0.1", "Digest": "latest"}[strategy]
			push(t, f.repo, tag, newImage(t, *at(20), nil, nil))
			ref, err := image.Lookup(t.Context(), sub, tag, image.Options{})
			if err != nil {
				t.Fatal(err)
			}
			merged, err := image.Merge(sub, prev.References, ref)
			if err != nil {
				t.Fatal(err)
			}
			full, err := image.Discover(t.Context(), sub, image.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(full.References, merged); diff != "" {
				t.Errorf("Merge(Lookup(%s)) differs from Discover (-discover +merge):\n%s", tag, diff)
			}
			has := func(refs []v1.DiscoveredImageReference) bool {
				return slices.ContainsFunc(refs, func(r v1.DiscoveredImageReference) bool { return r.Tag == tag && r.Digest == ref.Digest })
			}
			if !has(merged) || has(prev.References) {
				t.Errorf("the pushed %s was in the discovery before, or is not in it after", tag)
			}
		})
	}
}

func TestListerSharesListing(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	l := image.NewLister(0)
	subs := []v1.ImageSubscription{
		{RepoURL: f.repo},
		{RepoURL: f.repo, ImageSelectionStrategy: "Lexical"},
		{RepoURL: f.repo, Constraint: "^1"},
	}
	var wg sync.WaitGroup
	errs := make([]error, 8*len(subs))
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = image.Discover(t.Context(), subs[i%len(subs)], image.Options{Lister: l})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := reg.count("/tags/list"); n != 1 {
		t.Errorf("%d discoveries made %d tag listings, want 1", len(errs), n)
	}
	// Other credentials get their own listing; Invalidate forces a new one.
	if _, err := image.Discover(t.Context(), subs[0], image.Options{Lister: l, Auth: &authn.Basic{Username: "u", Password: "p"}}); err != nil {
		t.Fatal(err)
	}
	if n := reg.count("/tags/list"); n != 2 {
		t.Errorf("after a discovery with credentials: %d listings, want 2", n)
	}
	push(t, f.repo, "9.0.0", newImage(t, *at(30), nil, nil))
	l.Invalidate(f.repo)
	got, err := image.Discover(t.Context(), subs[0], image.Options{Lister: l})
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.count("/tags/list"); n != 3 || got.References[0].Tag != "9.0.0" {
		t.Errorf("after Invalidate: %d listings and best tag %s, want 3 and 9.0.0", n, got.References[0].Tag)
	}
}

// TestRateLimiterFairness checks that a NewestBuild subscription reading many tags does not
// make a small subscription on the same registry wait for its whole backlog: with per-host
// tokens handed out in order and at most Concurrency reads in flight per subscription, the
// small one finishes before the big one has made half its requests. (Without the bound, the
// big one's 100 manifest reads would all queue ahead of the small one's.)
func TestRateLimiterFairness(t *testing.T) {
	reg := newRegistry(t)
	big := reg.host + "/team/big"
	for i := range 100 {
		push(t, big, "t"+string(rune('a'+i/26))+string(rune('a'+i%26)), newImage(t, *at(i), nil, nil))
	}
	small := reg.host + "/team/small"
	push(t, small, "1.0.0", newImage(t, *at(1), nil, nil))

	rl := discovery.NewRateLimiter(200, 1)
	started := make(chan struct{})
	var once sync.Once
	reg.mu.Lock()
	reg.requests = map[string]int{} // count discovery only, not the pushes
	reg.onServe = func(path string) {
		if path == "/v2/team/big/tags/list" {
			once.Do(func() { close(started) })
		}
	}
	reg.mu.Unlock()

	bigDone := make(chan error, 1)
	go func() {
		_, err := image.Discover(t.Context(), v1.ImageSubscription{RepoURL: big, ImageSelectionStrategy: "NewestBuild"}, image.Options{RateLimiter: rl})
		bigDone <- err
	}()
	<-started
	res, err := image.Discover(t.Context(), v1.ImageSubscription{RepoURL: small}, image.Options{RateLimiter: rl})
	if err != nil {
		t.Fatal(err)
	}
	bigSoFar := reg.count("/team/big/")
	if err := <-bigDone; err != nil {
		t.Fatal(err)
	}
	bigTotal := reg.count("/team/big/")
	if len(res.References) != 1 || bigSoFar >= bigTotal/2 {
		t.Errorf("small subscription finished after %d of the big one's %d requests; want fewer than half", bigSoFar, bigTotal)
	}
	t.Logf("small subscription finished after %d of the big one's %d requests", bigSoFar, bigTotal)
}

// TestCacheByTag: with cacheByTag and a TagCache, a second discovery lists tags and reads no
// manifest, and finds the same; without cacheByTag, or with other credentials, the registry is
// read again.
func TestCacheByTag(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	cache := image.NewTagCache(0)
	sub := v1.ImageSubscription{RepoURL: f.repo, ImageSelectionStrategy: "NewestBuild", CacheByTag: true}
	discover := func(sub v1.ImageSubscription, o image.Options) ([]v1.DiscoveredImageReference, int) {
		t.Helper()
		before := reg.count("/manifests/")
		got, err := image.Discover(t.Context(), sub, o)
		if err != nil {
			t.Fatal(err)
		}
		return got.References, reg.count("/manifests/") - before
	}
	first, reads := discover(sub, image.Options{TagCache: cache})
	if reads == 0 || len(first) == 0 {
		t.Fatalf("first discovery: %d references from %d manifest reads, want some of each", len(first), reads)
	}
	again, reads := discover(sub, image.Options{TagCache: cache})
	if reads != 0 {
		t.Errorf("second discovery with cacheByTag read %d manifests, want 0", reads)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("cached discovery differs (-first +again):\n%s", diff)
	}
	sub.CacheByTag = false
	if _, reads := discover(sub, image.Options{TagCache: cache}); reads == 0 {
		t.Error("a subscription without cacheByTag read no manifest")
	}
	sub.CacheByTag = true
	if _, reads := discover(sub, image.Options{TagCache: cache, Auth: &authn.Basic{Username: "u", Password: "p"}}); reads == 0 {
		t.Error("other credentials were served from the cache")
	}
}
