package discovery_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/discovery"
)

// tags is the shared tag set every ordering is tested on.
var tags = []string{
	"latest", "1.0.0", "v1.0.0", "v1.2", "1", "1.10.0", "1.9.0", "2.0.0-rc.1", "2.0.0-rc.2",
	"1.9.0-beta", "1234567", "abc", "v1.2.3+build.5", "0.9.9", "1.2.3",
}

func TestSortSemver(t *testing.T) {
	tests := []struct {
		name       string
		constraint string
		strict     bool
		want       []string
	}{
		{
			name:   "strict, no constraint: pre-releases eligible and win",
			strict: true,
			want:   []string{"2.0.0-rc.2", "2.0.0-rc.1", "1.10.0", "1.9.0", "1.9.0-beta", "v1.2.3+build.5", "1.2.3", "v1.0.0", "1.0.0", "0.9.9"},
		},
		{
			name:   "lenient: short versions and commit-ish numbers parse",
			strict: false,
			want: []string{"1234567", "2.0.0-rc.2", "2.0.0-rc.1", "1.10.0", "1.9.0", "1.9.0-beta",
				"v1.2.3+build.5", "1.2.3", "v1.2", "v1.0.0", "1.0.0", "1", "0.9.9"},
		},
		{
			name:       "constraint excludes pre-releases",
			constraint: ">=1.0.0",
			strict:     true,
			want:       []string{"1.10.0", "1.9.0", "v1.2.3+build.5", "1.2.3", "v1.0.0", "1.0.0"},
		},
		{
			name:       "constraint naming a pre-release admits them",
			constraint: ">=2.0.0-rc.1",
			strict:     true,
			want:       []string{"2.0.0-rc.2", "2.0.0-rc.1"},
		},
		{
			name:       "caret range",
			constraint: "^1.2.0",
			strict:     true,
			want:       []string{"1.10.0", "1.9.0", "v1.2.3+build.5", "1.2.3"},
		},
		{
			name:       "tilde range, lenient",
			constraint: "~1.0",
			want:       []string{"v1.0.0", "1.0.0", "1"},
		},
		{
			name:       "nothing matches",
			constraint: ">=3",
			strict:     true,
			want:       []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := discovery.SortSemver(tags, tt.constraint, tt.strict)
			if err != nil {
				t.Fatalf("SortSemver: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SortSemver(%q, %v) (-want +got):\n%s", tt.constraint, tt.strict, diff)
			}
		})
	}
}

func TestSortSemverBadConstraint(t *testing.T) {
	_, err := discovery.SortSemver(tags, "not a range!", true)
	if err == nil || !strings.Contains(err.Error(), `constraint "not a range!"`) {
		t.Fatalf("SortSemver(bad) = %v, want an error naming the constraint", err)
	}
}

func TestSortLexical(t *testing.T) {
	got := discovery.SortLexical([]string{"b", "a", "B", "v1.0.0", "1.0.0", "aa", "b"})
	want := []string{"v1.0.0", "b", "b", "aa", "a", "B", "1.0.0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SortLexical (-want +got):\n%s", diff)
	}
}

func TestTagFilter(t *testing.T) {
	tests := []struct {
		name    string
		filter  discovery.TagFilter
		want    []string
		wantErr string
	}{
		{name: "empty keeps all", want: []string{"v1.0.0", "1.0.0-rc.1", "latest", "sha-abc"}},
		{
			name:   "allow is unanchored",
			filter: discovery.TagFilter{Allow: []string{`1\.0`}},
			want:   []string{"v1.0.0", "1.0.0-rc.1"},
		},
		{
			name:   "ignore wins over allow",
			filter: discovery.TagFilter{Allow: []string{`1\.0`}, Ignore: []string{`-rc`}},
			want:   []string{"v1.0.0"},
		},
		{
			name:   "ignore only",
			filter: discovery.TagFilter{Ignore: []string{`^latest$`, `^sha-`}},
			want:   []string{"v1.0.0", "1.0.0-rc.1"},
		},
		{
			name:    "bad allow regex names the field",
			filter:  discovery.TagFilter{Allow: []string{`ok`, `(`}},
			wantErr: `allowTagsRegexes[1] "("`,
		},
		{
			name:    "bad ignore regex names the field",
			filter:  discovery.TagFilter{Ignore: []string{`[`}},
			wantErr: `ignoreTagsRegexes[0] "["`,
		},
		{
			name:    "deprecated allowTags",
			filter:  discovery.TagFilter{DeprecatedAllow: "v1"},
			wantErr: "allowTagsRegexes",
		},
		{
			name:    "deprecated ignoreTags",
			filter:  discovery.TagFilter{DeprecatedIgnore: []string{"latest"}},
			wantErr: "ignoreTagsRegexes",
		},
	}
	in := []string{"v1.0.0", "1.0.0-rc.1", "latest", "sha-abc"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.filter.Compile()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Compile() = %v, want error containing %q", err, tt.wantErr)
				}
				if (tt.filter.DeprecatedAllow != "" || tt.filter.DeprecatedIgnore != nil) && !errors.Is(err, discovery.ErrDeprecatedField) {
					t.Errorf("Compile() = %v, want ErrDeprecatedField", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if diff := cmp.Diff(tt.want, c.Filter(in)); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	for n, want := range map[int]int{-1: 20, 0: 20, 1: 1, 50: 50, 100: 100, 101: 100} {
		if got := discovery.Limit(n); got != want {
			t.Errorf("Limit(%d) = %d, want %d", n, got, want)
		}
	}
	if got := discovery.Truncate([]int{1, 2, 3}, 2); len(got) != 2 {
		t.Errorf("Truncate(3 items, 2) has %d items", len(got))
	}
}
