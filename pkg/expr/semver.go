package expr

import (
	"encoding/json"
	"fmt"

	"github.com/Masterminds/semver/v3"
)

// Version is a semantic version as returned by semverParse (docs/expressions.md#semantic-versions). Expressions call its
// methods, with or without parentheses (semverParse(x).Major() or semverParse(x).Major).
// Rendered into a template, and in JSON, it is its String() text.
type Version struct {
	v *semver.Version
}

// Major returns the major number.
func (v Version) Major() uint64 { return v.v.Major() }

// Minor returns the minor number.
func (v Version) Minor() uint64 { return v.v.Minor() }

// Patch returns the patch number.
func (v Version) Patch() uint64 { return v.v.Patch() }

// Prerelease returns the pre-release part ("rc.1"), or "" if none.
func (v Version) Prerelease() string { return v.v.Prerelease() }

// Metadata returns the build metadata ("build.123"), or "" if none.
func (v Version) Metadata() string { return v.v.Metadata() }

// String returns the normalised version: no leading v, missing parts filled in.
func (v Version) String() string { return v.v.String() }

// Original returns the version as it was given.
func (v Version) Original() string { return v.v.Original() }

// IncMajor returns the next major version, without pre-release or metadata.
func (v Version) IncMajor() Version { n := v.v.IncMajor(); return Version{&n} }

// IncMinor returns the next minor version, without pre-release or metadata.
func (v Version) IncMinor() Version { n := v.v.IncMinor(); return Version{&n} }

// IncPatch drops the pre-release and metadata if there is a pre-release; otherwise it
// returns the next patch version without metadata.
func (v Version) IncPatch() Version { n := v.v.IncPatch(); return Version{&n} }

// Compare returns -1, 0 or 1 as v is lower than, equal to or greater than o.
func (v Version) Compare(o Version) int { return v.v.Compare(o.v) }

// LessThan reports whether v < o.
func (v Version) LessThan(o Version) bool { return v.v.LessThan(o.v) }

// GreaterThan reports whether v > o.
func (v Version) GreaterThan(o Version) bool { return v.v.GreaterThan(o.v) }

// Equal reports whether v and o are equal; build metadata is ignored.
func (v Version) Equal(o Version) bool { return v.v.Equal(o.v) }

// MarshalJSON encodes v as its String() text.
func (v Version) MarshalJSON() ([]byte, error) { return json.Marshal(v.String()) }

// semverParse implements semverParse(v): a lenient parse (v prefix, missing parts allowed).
func semverParse(args ...any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("semverParse: argument must be a string, got %T", args[0])
	}
	v, err := semver.NewVersion(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", semver.ErrInvalidSemVer, s)
	}
	return Version{v}, nil
}

// semverDiff implements semverDiff(a, b): the most significant part in which two versions
// differ ("Major", "Minor", "Patch", "Metadata" or "None"; pre-release is ignored), or
// "Incomparable" if either does not parse.
func semverDiff(args ...any) (any, error) {
	a, okA := args[0].(string)
	b, okB := args[1].(string)
	if !okA || !okB {
		return nil, fmt.Errorf("semverDiff: arguments must be strings, got %T and %T", args[0], args[1])
	}
	va, errA := semver.NewVersion(a)
	vb, errB := semver.NewVersion(b)
	switch {
	case errA != nil || errB != nil:
		return "Incomparable", nil
	case va.Major() != vb.Major():
		return "Major", nil
	case va.Minor() != vb.Minor():
		return "Minor", nil
	case va.Patch() != vb.Patch():
		return "Patch", nil
	case va.Metadata() != vb.Metadata():
		return "Metadata", nil
	}
	return "None", nil
}
