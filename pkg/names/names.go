package names

import (
	"errors"
	"fmt"
)

// Length limits, as Kubernetes sets them.
const (
	// MaxLabel is the longest DNS-1123 label: a project name.
	MaxLabel = 63
	// MaxSubdomain is the longest DNS-1123 subdomain: any other resource name.
	MaxSubdomain = 253
)

// ErrInvalid wraps every name the rule refuses.
var ErrInvalid = errors.New("invalid name")

// Project checks a project name: a DNS-1123 label, at most 63 lowercase letters, digits and
// '-', starting and ending with a letter or digit.
func Project(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: a project name is required", ErrInvalid)
	case len(name) > MaxLabel || !isLabel(name):
		return fmt.Errorf("%w: %s is not a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", ErrInvalid, quote(name))
	}
	return nil
}

// Object checks the name of a Stage, Warehouse, Freight, Promotion or any other resource in a
// project: a DNS-1123 subdomain, lowercase letters, digits, '-' and '.', each dot-separated
// part starting and ending with a letter or digit, at most 253 characters.
func Object(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: a name is required", ErrInvalid)
	case len(name) > MaxSubdomain || !isSubdomain(name):
		return fmt.Errorf("%w: %s is not a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253", ErrInvalid, quote(name))
	}
	return nil
}

// Field checks name with check and names the field in the error, e.g. `stage: "Prod" is not …`.
func Field(field, name string, check func(string) error) error {
	if err := check(name); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

func isSubdomain(s string) bool {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if !isLabel(s[start:i]) {
				return false
			}
			start = i + 1
		}
	}
	return true
}

func isLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// quote shows a name in an error, cut short when it is long: an error must not echo 4 KB of a
// hostile request back into logs and events.
func quote(s string) string {
	const show = 64
	if len(s) > show {
		return fmt.Sprintf("%q… (%d bytes)", s[:show], len(s))
	}
	return fmt.Sprintf("%q", s)
}
