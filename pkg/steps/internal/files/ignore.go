package files

import (
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Ignore matches paths against a .gitignore-style list. The zero value ignores nothing.
type Ignore struct {
	m gitignore.Matcher
}

// NewIgnore parses spec, one .gitignore pattern a line (blank lines and # comments skipped,
// ! negates, a trailing / matches directories only, a / elsewhere anchors the pattern).
func NewIgnore(spec string) Ignore {
	var ps []gitignore.Pattern
	for _, line := range strings.Split(spec, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, nil))
	}
	if len(ps) == 0 {
		return Ignore{}
	}
	return Ignore{m: gitignore.NewMatcher(ps)}
}

// Match reports whether rel, a slash- or OS-separated path relative to the tree the list
// applies to, is ignored.
func (i Ignore) Match(rel string, isDir bool) bool {
	if i.m == nil || rel == "." || rel == "" {
		return false
	}
	return i.m.Match(strings.Split(filepath.ToSlash(rel), "/"), isDir)
}
