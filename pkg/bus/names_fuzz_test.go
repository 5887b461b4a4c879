package bus_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/names"
)

// What nats.go accepts as a KV key, and a subject token with no wildcard, space or control
// character. NATS's control line is 4 KB: a subject past that breaks the connection.
var (
	validKey   = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)
	validToken = regexp.MustCompile(`^[-_a-zA-Z0-9]+$`)
)

// FuzzNamesMakeValidKeys: whatever passes the name rule makes a valid key and subject.
func FuzzNamesMakeValidKeys(f *testing.F) {
	for _, s := range []string{"dev", "a.b", "*", ">", "a b", "$JS.API", "a\x00", strings.Repeat("a", 300), "prod.eu-1"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, project, name string) {
		if names.Project(project) != nil || names.Object(name) != nil {
			return
		}
		for _, key := range []string{bus.Key(project, name), bus.ResourceKey(project, "Stage", name)} {
			if !validKey.MatchString(key) || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
				t.Fatalf("project %q, name %q make the invalid key %q", project, name, key)
			}
		}
		subject := bus.CommandSubject(project, "promote")
		for _, tok := range strings.Split(subject, ".") {
			if !validToken.MatchString(tok) {
				t.Fatalf("project %q makes the invalid subject %q", project, subject)
			}
		}
		if len(subject) > 1024 || len(bus.Key(project, name)) > 1024 {
			t.Fatalf("project %q, name %q make a key or subject of over 1 KB", project, name)
		}
	})
}
