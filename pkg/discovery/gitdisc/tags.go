package gitdisc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
)

// taggedCommit is one candidate tag resolved to its commit.
type taggedCommit struct {
	tag         string
	commit      *object.Commit
	creatorDate time.Time
	tagger      string // annotated tags only
	annotation  string // first line; annotated tags only
}

// discoverTags resolves the candidate tags, applies the expression filter, orders them by the
// strategy and keeps those whose commit passes the path filters, up to the limit.
func (s *selection) discoverTags(ctx context.Context, r *git.Repository) ([]v1.DiscoveredCommit, error) {
	byTag := map[string]*taggedCommit{}
	var kept []string
	for _, name := range s.candidates {
		tc, err := resolveTag(r, name)
		if err != nil {
			return nil, err
		}
		if tc == nil {
			continue // a tag of a tree or blob names no commit
		}
		ok, err := s.filter.match(map[string]any{
			"tag": tc.tag, "id": tc.commit.Hash.String(), "creatorDate": tc.creatorDate,
			"author": person(tc.commit.Author), "committer": person(tc.commit.Committer),
			"subject": subject(tc.commit.Message), "tagger": tc.tagger, "annotation": tc.annotation,
		})
		if err != nil {
			return nil, err
		}
		if ok {
			byTag[name] = tc
			kept = append(kept, name)
		}
	}
	switch s.strategy {
	case SemVer:
		kept = discovery.SortSemverWith(kept, s.constraint, s.strict)
	case Lexical:
		kept = discovery.SortLexical(kept)
	case NewestTag:
		slices.SortFunc(kept, func(a, b string) int {
			if c := byTag[b].creatorDate.Compare(byTag[a].creatorDate); c != 0 {
				return c
			}
			return cmp.Compare(b, a)
		})
	}
	var out []v1.DiscoveredCommit
	for _, name := range kept {
		if len(out) == s.limit {
			break
		}
		tc := byTag[name]
		if s.paths.active() {
			paths, err := changedPaths(ctx, tc.commit)
			if err != nil {
				return nil, fmt.Errorf("diff commit %s of tag %s: %w", tc.commit.Hash, name, err)
			}
			if !s.paths.qualifies(paths) {
				continue
			}
		}
		d := discovered(tc.commit)
		d.Tag = name
		d.CreatorDate = utc(tc.creatorDate)
		out = append(out, d)
	}
	return out, nil
}

// resolveTag reads tag name: an annotated tag gives its tagger date, tagger and annotation; a
// lightweight one its commit's date. It returns nil when the tag does not name a commit.
func resolveTag(r *git.Repository, name string) (*taggedCommit, error) {
	ref, err := r.Reference(plumbing.NewTagReferenceName(name), true)
	if err != nil {
		return nil, fmt.Errorf("read tag %s: %w", name, err)
	}
	tc := &taggedCommit{tag: name}
	tag, err := r.TagObject(ref.Hash())
	switch {
	case err == nil:
		c, err := tag.Commit()
		if errors.Is(err, object.ErrUnsupportedObject) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read commit of tag %s: %w", name, err)
		}
		tc.commit, tc.creatorDate, tc.tagger = c, tag.Tagger.When, person(tag.Tagger)
		tc.annotation, _, _ = strings.Cut(strings.TrimSpace(tag.Message), "\n")
		return tc, nil
	case !errors.Is(err, plumbing.ErrObjectNotFound):
		return nil, fmt.Errorf("read tag %s: %w", name, err)
	}
	c, err := r.CommitObject(ref.Hash())
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read commit of tag %s: %w", name, err)
	}
	tc.commit, tc.creatorDate = c, c.Committer.When
	return tc, nil
}
