package image_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
	"github.com/drayhq/dray/pkg/discovery/image"
)

func ptr[T any](v T) *T { return &v }

func tagsOf(refs []v1.DiscoveredImageReference) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Tag
	}
	return out
}

func TestDiscoverStrategies(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	tests := []struct {
		name string
		sub  v1.ImageSubscription
		want []string
	}{
		{
			name: "SemVer is the default; strict; pre-release wins without constraint; v1.0.0 before 1.0.0",
			sub:  v1.ImageSubscription{},
			want: []string{"2.0.0-rc.1", "1.7.1", "1.7.0", "1.6.0", "1.5.0", "1.4.0", "1.1.0", "v1.0.0", "1.0.0"},
		},
		{
			name: "SemVer lenient admits 1.2",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "SemVer", StrictSemvers: ptr(false)},
			want: []string{"2.0.0-rc.1", "1.7.1", "1.7.0", "1.6.0", "1.5.0", "1.4.0", "1.2", "1.1.0", "v1.0.0", "1.0.0"},
		},
		{
			name: "SemVer constraint drops the pre-release",
			sub:  v1.ImageSubscription{Constraint: "^1.0.0"},
			want: []string{"1.7.1", "1.7.0", "1.6.0", "1.5.0", "1.4.0", "1.1.0", "v1.0.0", "1.0.0"},
		},
		{
			name: "SemVer constraint naming a pre-release",
			sub:  v1.ImageSubscription{Constraint: ">=2.0.0-0"},
			want: []string{"2.0.0-rc.1"},
		},
		{
			name: "SemVer ignore regex",
			sub:  v1.ImageSubscription{Constraint: "^1", IgnoreTagsRegexes: []string{`^1\.7`, `^v`}},
			want: []string{"1.6.0", "1.5.0", "1.4.0", "1.1.0", "1.0.0"},
		},
		{
			name: "SemVer allow regex, ignore wins",
			sub:  v1.ImageSubscription{AllowTagsRegexes: []string{`^1\.[0-5]`}, IgnoreTagsRegexes: []string{`4`}},
			want: []string{"1.5.0", "1.1.0", "1.0.0"},
		},
		{
			name: "SemVer discoveryLimit",
			sub:  v1.ImageSubscription{DiscoveryLimit: 2},
			want: []string{"2.0.0-rc.1", "1.7.1"},
		},
		{
			name: "SemVer nothing matches",
			sub:  v1.ImageSubscription{Constraint: ">=3"},
			want: []string{},
		},
		{
			name: "Lexical is byte order over every candidate",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Lexical"},
			want: []string{"v1.0.0", "latest", "abc", "2.0.0-rc.1", "1.7.1", "1.7.0", "1.6.0", "1.5.0", "1.4.0", "1.2", "1.1.0", "1.0.0"},
		},
		{
			name: "Lexical with ignore and limit",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Lexical", IgnoreTagsRegexes: []string{`^[a-z]`}, DiscoveryLimit: 3},
			want: []string{"2.0.0-rc.1", "1.7.1", "1.7.0"},
		},
		{
			name: "NewestBuild: annotation, label and config times; ties by tag descending",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "NewestBuild"},
			want: []string{"2.0.0-rc.1", "1.6.0", "1.4.0", "abc", "1.5.0", "latest", "1.1.0", "1.2", "v1.0.0", "1.7.1", "1.7.0", "1.0.0"},
		},
		{
			name: "NewestBuild with allow regex and limit",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "NewestBuild", AllowTagsRegexes: []string{`^1\.`}, DiscoveryLimit: 4},
			want: []string{"1.6.0", "1.4.0", "1.5.0", "1.1.0"},
		},
		{
			name: "Digest follows the tag; regexes ignored",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Digest", Constraint: "latest", IgnoreTagsRegexes: []string{"latest"}},
			want: []string{"latest"},
		},
		{
			name: "Digest of a missing tag is empty, not an error",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Digest", Constraint: "nope"},
			want: []string{},
		},
		{
			name: "platform: only indexes listing it exactly",
			sub:  v1.ImageSubscription{Platform: "linux/arm64/v8"},
			want: []string{"1.1.0"},
		},
		{
			name: "platform: NewestBuild on amd64 uses the amd64 image's time",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "NewestBuild", Platform: "linux/amd64"},
			want: []string{"1.5.0", "latest", "1.1.0"},
		},
		{
			name: "platform: variant must match exactly",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Lexical", Platform: "linux/arm64"},
			want: []string{},
		},
		{
			name: "platform: Lexical reads past ineligible tags to fill the limit",
			sub:  v1.ImageSubscription{ImageSelectionStrategy: "Lexical", Platform: "linux/amd64", DiscoveryLimit: 2},
			want: []string{"latest", "1.5.0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := tt.sub
			sub.RepoURL = f.repo
			got, err := image.Discover(t.Context(), sub, image.Options{})
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if got.RepoURL != f.repo || got.Platform != sub.Platform {
				t.Errorf("Discover = {RepoURL: %q, Platform: %q}, want %q, %q", got.RepoURL, got.Platform, f.repo, sub.Platform)
			}
			if diff := cmp.Diff(tt.want, tagsOf(got.References)); diff != "" {
				t.Errorf("Discover tags (-want +got):\n%s", diff)
			}
			if sub.Platform != "" {
				return // metadata differs per platform: TestDiscoverPlatformMetadata
			}
			for _, r := range got.References {
				if diff := cmp.Diff(f.refs[r.Tag], r); diff != "" {
					t.Errorf("reference %s (-want +got):\n%s", r.Tag, diff)
				}
			}
		})
	}
}

func TestDiscoverPlatformMetadata(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	tests := []struct {
		platform string
		want     v1.DiscoveredImageReference
	}{
		{
			platform: "linux/arm64/v8",
			want: v1.DiscoveredImageReference{
				Tag: "1.1.0", Digest: f.refs["1.1.0"].Digest, CreatedAt: at(5),
				Annotations: map[string]string{"org.opencontainers.image.title": "app", "x": "arm64"},
			},
		},
		{
			platform: "linux/amd64",
			want: v1.DiscoveredImageReference{
				Tag: "1.1.0", Digest: f.refs["1.1.0"].Digest, CreatedAt: at(3),
				Annotations: map[string]string{"org.opencontainers.image.title": "app", "x": "index"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			sub := v1.ImageSubscription{RepoURL: f.repo, Constraint: "~1.1", Platform: tt.platform}
			got, err := image.Discover(t.Context(), sub, image.Options{})
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if diff := cmp.Diff([]v1.DiscoveredImageReference{tt.want}, got.References); diff != "" {
				t.Errorf("Discover (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscoverDigestFollowsMovedTag(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	sub := v1.ImageSubscription{RepoURL: f.repo, ImageSelectionStrategy: "Digest", Constraint: "latest"}
	before, err := image.Discover(t.Context(), sub, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	moved := push(t, f.repo, "latest", f.v1Image)
	after, err := image.Discover(t.Context(), sub, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"latest", f.refs["latest"].Digest}, {"latest", moved}}
	got := [][]string{{before.References[0].Tag, before.References[0].Digest}, {after.References[0].Tag, after.References[0].Digest}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Digest before and after moving latest (-want +got):\n%s", diff)
	}
	if moved == f.refs["latest"].Digest {
		t.Fatal("fixture: moved digest equals the old one")
	}
}

func TestDiscoverErrors(t *testing.T) {
	reg := newRegistry(t)
	f := newFixture(t, reg)
	tests := []struct {
		name      string
		sub       v1.ImageSubscription
		want      []string
		sentinels []error
	}{
		{name: "unknown strategy", sub: v1.ImageSubscription{ImageSelectionStrategy: "Newest"}, want: []string{"imageSelectionStrategy", `"Newest"`}},
		{name: "Digest without constraint", sub: v1.ImageSubscription{ImageSelectionStrategy: "Digest"}, want: []string{"constraint is required", "Digest"}},
		{name: "bad constraint", sub: v1.ImageSubscription{Constraint: "~>>1"}, want: []string{`constraint "~>>1"`}},
		{name: "bad allow regex", sub: v1.ImageSubscription{AllowTagsRegexes: []string{"("}}, want: []string{"allowTagsRegexes[0]"}},
		{name: "bad ignore regex", sub: v1.ImageSubscription{ImageSelectionStrategy: "Lexical", IgnoreTagsRegexes: []string{"a", "[z"}}, want: []string{"ignoreTagsRegexes[1]"}},
		{
			name:      "deprecated allowTags",
			sub:       v1.ImageSubscription{AllowTags: "^v1"},
			want:      []string{"allowTags", "allowTagsRegexes"},
			sentinels: []error{discovery.ErrDeprecatedField},
		},
		{
			name:      "deprecated ignoreTags",
			sub:       v1.ImageSubscription{ImageSelectionStrategy: "NewestBuild", IgnoreTags: []string{"latest"}},
			want:      []string{"ignoreTagsRegexes"},
			sentinels: []error{discovery.ErrDeprecatedField},
		},
		{name: "bad platform", sub: v1.ImageSubscription{Platform: "linux"}, want: []string{`platform "linux"`}},
		{name: "bad repoURL", sub: v1.ImageSubscription{RepoURL: "UPPER/Case:tag"}, want: []string{"repoURL"}},
		{name: "missing repository", sub: v1.ImageSubscription{RepoURL: reg.host + "/team/none"}, want: []string{"list tags", "team/none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := tt.sub
			if sub.RepoURL == "" {
				sub.RepoURL = f.repo
			}
			_, err := image.Discover(t.Context(), sub, image.Options{})
			if err == nil {
				t.Fatal("Discover succeeded, want an error")
			}
			for _, w := range append(tt.want, sub.RepoURL) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Discover error %q does not contain %q", err, w)
				}
			}
			for _, s := range tt.sentinels {
				if !errors.Is(err, s) {
					t.Errorf("Discover error %q is not %v", err, s)
				}
			}
		})
	}
}
