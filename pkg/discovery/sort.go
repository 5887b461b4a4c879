package discovery

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Default and maximum of a subscription's discoveryLimit.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Limit returns the effective discovery limit for a subscription's discoveryLimit n:
// DefaultLimit when n is zero or negative, MaxLimit when n is larger.
func Limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// Truncate returns the first Limit(n) elements of s.
func Truncate[T any](s []T, n int) []T {
	if l := Limit(n); len(s) > l {
		return s[:l]
	}
	return s
}

// Constraint parses a Masterminds-style semver constraint. An empty constraint gives nil,
// which SortSemver treats as "any version". field names the subscription field in the error
// (constraint, semverConstraint).
func Constraint(field, constraint string) (*semver.Constraints, error) {
	if constraint == "" {
		return nil, nil
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a valid semver range (e.g. ^1.2.0, >=1.0 <2.0): %w", field, constraint, err)
	}
	return c, nil
}

// ParseSemver parses tag with the lenient parser (leading v, "1" and "1.2" accepted). When
// strict, tag must also have all of major.minor.patch after an optional leading v. It returns
// nil when tag is not a version.
func ParseSemver(tag string, strict bool) *semver.Version {
	v, err := semver.NewVersion(tag)
	if err != nil {
		return nil
	}
	if strict {
		if _, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v")); err != nil {
			return nil
		}
	}
	return v
}

// SortSemver returns the tags that are semantic versions (see ParseSemver) and satisfy
// constraint, ordered by descending precedence; equal versions (v1.0.0 and 1.0.0) are
// ordered by their original strings, descending. With an empty constraint every version,
// pre-releases included, is kept. It returns an error naming constraint when it does not
// parse.
func SortSemver(tags []string, constraint string, strict bool) ([]string, error) {
	c, err := Constraint("constraint", constraint)
	if err != nil {
		return nil, err
	}
	return SortSemverWith(tags, c, strict), nil
}

// SortSemverWith is SortSemver with a parsed constraint; nil means any version.
func SortSemverWith(tags []string, c *semver.Constraints, strict bool) []string {
	type tv struct {
		tag string
		v   *semver.Version
	}
	vs := make([]tv, 0, len(tags))
	for _, t := range tags {
		v := ParseSemver(t, strict)
		if v == nil || (c != nil && !c.Check(v)) {
			continue
		}
		vs = append(vs, tv{t, v})
	}
	slices.SortStableFunc(vs, func(a, b tv) int {
		if n := b.v.Compare(a.v); n != 0 {
			return n
		}
		return cmp.Compare(b.tag, a.tag)
	})
	out := make([]string, len(vs))
	for i, x := range vs {
		out[i] = x.tag
	}
	return out
}

// SortLexical returns a copy of tags in descending byte order.
func SortLexical(tags []string) []string {
	out := slices.Clone(tags)
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(b, a) })
	return out
}
