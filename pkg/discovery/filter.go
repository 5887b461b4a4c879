package discovery

import (
	"errors"
	"fmt"
	"regexp"
)

// ErrDeprecatedField is returned by TagFilter.Compile when a deprecated allowTags or ignoreTags
// field is set. Discovery then fails until the subscription uses the …Regexes fields.
var ErrDeprecatedField = errors.New("deprecated field")

// TagFilter selects tags by regular expressions, as a subscription's allowTagsRegexes,
// ignoreTagsRegexes, and the deprecated allowTags and ignoreTags fields declare them.
type TagFilter struct {
	// Allow are RE2 expressions matched unanchored; when non-empty a tag must match one.
	Allow []string
	// Ignore are RE2 expressions matched unanchored; a tag matching one is excluded.
	Ignore []string
	// DeprecatedAllow is the allowTags field. Non-empty makes Compile fail.
	DeprecatedAllow string
	// DeprecatedIgnore is the ignoreTags field. Non-empty makes Compile fail.
	DeprecatedIgnore []string
}

// CompiledFilter is a TagFilter ready to match. The zero value and nil match every tag.
// It is safe for concurrent use.
type CompiledFilter struct {
	allow, ignore []*regexp.Regexp
}

// Compile checks f and compiles its expressions. It returns an error wrapping
// ErrDeprecatedField when a deprecated field is set, and an error naming the field and the
// expression when one does not compile.
func (f TagFilter) Compile() (*CompiledFilter, error) {
	var errs []error
	if f.DeprecatedAllow != "" {
		errs = append(errs, fmt.Errorf("%w allowTags is set: move its value to allowTagsRegexes", ErrDeprecatedField))
	}
	if len(f.DeprecatedIgnore) > 0 {
		errs = append(errs, fmt.Errorf("%w ignoreTags is set: move its values to ignoreTagsRegexes", ErrDeprecatedField))
	}
	c := &CompiledFilter{}
	var err error
	if c.allow, err = compileAll("allowTagsRegexes", f.Allow); err != nil {
		errs = append(errs, err)
	}
	if c.ignore, err = compileAll("ignoreTagsRegexes", f.Ignore); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func compileAll(field string, exprs []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(exprs))
	for i, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] %q is not a valid RE2 expression: %w", field, i, e, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Match reports whether tag passes the filter: it matches no ignore expression and, when
// allow expressions exist, at least one of them. Ignore wins over allow.
func (c *CompiledFilter) Match(tag string) bool {
	if c == nil {
		return true
	}
	for _, re := range c.ignore {
		if re.MatchString(tag) {
			return false
		}
	}
	if len(c.allow) == 0 {
		return true
	}
	for _, re := range c.allow {
		if re.MatchString(tag) {
			return true
		}
	}
	return false
}

// Filter returns the tags that Match accepts, in their original order.
func (c *CompiledFilter) Filter(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if c.Match(t) {
			out = append(out, t)
		}
	}
	return out
}
