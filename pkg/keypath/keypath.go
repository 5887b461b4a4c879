package keypath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSyntax is wrapped by every error Parse returns; test for it with errors.Is.
var ErrSyntax = errors.New("invalid key path")

// Part is one element of a key path.
type Part struct {
	// Key is the part's text with escapes resolved and a leading ':' removed.
	Key string
	// ObjectKey is true when the part started with ':': it then names an object key even when
	// Key is a number.
	ObjectKey bool
}

// Index returns the part as a list index: Key when it is a non-negative decimal integer and
// the part is not marked as an object key. Otherwise it returns false.
func (p Part) Index() (int, bool) {
	if p.ObjectKey || p.Key == "" {
		return 0, false
	}
	for i := 0; i < len(p.Key); i++ {
		if p.Key[i] < '0' || p.Key[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(p.Key)
	if err != nil { // overflow
		return 0, false
	}
	return n, true
}

// String renders the part back in key-path syntax, escaping dots and colons.
func (p Part) String() string {
	s := strings.NewReplacer(`.`, `\.`, `:`, `\:`).Replace(p.Key)
	if p.ObjectKey {
		return ":" + s
	}
	return s
}

// Parse splits path into its parts. It returns an error wrapping ErrSyntax that names the
// offending position for an empty path, an empty part, an unknown escape, a trailing backslash
// or an unescaped ':' that does not start a part.
func Parse(path string) ([]Part, error) {
	orig := path
	path = strings.TrimSpace(path)
	if path == "" {
		return nil, fmt.Errorf("%w: empty", ErrSyntax)
	}
	var (
		parts []Part
		cur   strings.Builder
		part  Part
		start = true // at the first byte of a part
	)
	bad := func(i int, why string) error {
		return fmt.Errorf("%w %q: %s at offset %d", ErrSyntax, orig, why, i)
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '\\':
			if i+1 == len(path) {
				return nil, bad(i, "trailing backslash")
			}
			i++
			if path[i] != '.' && path[i] != ':' {
				return nil, bad(i-1, fmt.Sprintf(`unknown escape \%c (only \. and \: are allowed)`, path[i]))
			}
			cur.WriteByte(path[i])
		case c == '.':
			if cur.Len() == 0 {
				return nil, bad(i, "empty part")
			}
			part.Key = cur.String()
			parts = append(parts, part)
			cur.Reset()
			part = Part{}
			start = true
			continue
		case c == ':':
			if !start {
				return nil, bad(i, `unescaped ':' inside a part (write \:)`)
			}
			part.ObjectKey = true
		default:
			cur.WriteByte(c)
		}
		start = false
	}
	if cur.Len() == 0 {
		return nil, bad(len(path), "empty part")
	}
	part.Key = cur.String()
	return append(parts, part), nil
}

// String renders parts in key-path syntax; Parse(String(parts)) returns parts again.
func String(parts []Part) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = p.String()
	}
	return strings.Join(s, ".")
}
