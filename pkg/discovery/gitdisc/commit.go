package gitdisc

import (
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// discovered is the record of commit c (docs/resources.md#git-subscriptions), without branch or tag.
func discovered(c *object.Commit) v1.DiscoveredCommit {
	when := c.Committer.When.UTC()
	return v1.DiscoveredCommit{
		ID:          c.Hash.String(),
		Subject:     subject(c.Message),
		Author:      person(c.Author),
		Committer:   person(c.Committer),
		CreatorDate: &when,
	}
}

// person formats a signature as Name <email>.
func person(s object.Signature) string { return s.Name + " <" + s.Email + ">" }

// subject is the first line of a message, cut to 77 bytes and "..." when longer than 80.
func subject(message string) string {
	line, _, _ := strings.Cut(strings.TrimLeft(message, "\n"), "\n")
	line = strings.TrimRight(line, "\r")
	if len(line) > 80 {
		return line[:77] + "..."
	}
	return line
}

// utc returns a pointer to t in UTC.
func utc(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}
