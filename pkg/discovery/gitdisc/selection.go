package gitdisc

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
)

// maxReusableTags bounds the tag sets whose fingerprint is remembered (docs/resources.md#git-subscriptions).
const maxReusableTags = 1000

// maxTagRefSpecs is how many tags are fetched one refspec each; more fetch refs/tags/*.
const maxTagRefSpecs = 100

// selection is a subscription compiled: everything that can be wrong with it was found when
// it was built.
type selection struct {
	sub        v1.GitSubscription
	strategy   string
	limit      int
	since      time.Time
	tags       *discovery.CompiledFilter
	constraint *semver.Constraints
	strict     bool
	paths      pathFilter
	filter     *exprFilter

	// Set by wanted.
	branch     plumbing.ReferenceName // the branch fetched (NewestFromBranch)
	candidates []string               // the tags that passed the regex and semver filters
}

// fetchPlan is what to fetch after listing the references.
type fetchPlan struct {
	what     string
	refSpecs []config.RefSpec
	depth    int
}

func newSelection(sub v1.GitSubscription) (*selection, error) {
	s := &selection{sub: sub, strategy: sub.CommitSelectionStrategy, limit: discovery.Limit(sub.DiscoveryLimit), strict: true}
	if s.strategy == "" {
		s.strategy = NewestFromBranch
	}
	if sub.StrictSemvers != nil {
		s.strict = *sub.StrictSemvers
	}
	var err error
	switch s.strategy {
	case NewestFromBranch:
		if s.since, err = parseSince(sub.Since); err != nil {
			return nil, err
		}
	case SemVer, Lexical, NewestTag:
		s.tags, err = discovery.TagFilter{
			Allow: sub.AllowTagsRegexes, Ignore: sub.IgnoreTagsRegexes,
			DeprecatedAllow: sub.AllowTags, DeprecatedIgnore: sub.IgnoreTags,
		}.Compile()
		if err != nil {
			return nil, err
		}
		if s.strategy == SemVer {
			if s.constraint, err = discovery.Constraint("semverConstraint", sub.SemverConstraint); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("commitSelectionStrategy %q is not NewestFromBranch, SemVer, Lexical or NewestTag", s.strategy)
	}
	if s.paths, err = newPathFilter(sub.IncludePaths, sub.ExcludePaths); err != nil {
		return nil, err
	}
	if s.filter, err = newExprFilter(sub.ExpressionFilter); err != nil {
		return nil, err
	}
	return s, nil
}

// wanted picks, from the remote's references, what must be fetched, and a fingerprint of the
// references the result depends on ("" when it must not be reused).
func (s *selection) wanted(refs []*plumbing.Reference) (fetchPlan, string, error) {
	if s.strategy == NewestFromBranch {
		return s.wantedBranch(refs)
	}
	return s.wantedTags(refs)
}

func (s *selection) wantedBranch(refs []*plumbing.Reference) (fetchPlan, string, error) {
	byName := map[plumbing.ReferenceName]*plumbing.Reference{}
	for _, r := range refs {
		byName[r.Name()] = r
	}
	var head *plumbing.Reference
	if s.sub.Branch != "" {
		head = byName[plumbing.NewBranchReferenceName(s.sub.Branch)]
		if head == nil {
			return fetchPlan{}, "", fmt.Errorf("branch %q does not exist", s.sub.Branch)
		}
	} else if head = defaultBranch(refs, byName); head == nil {
		return fetchPlan{}, "", fmt.Errorf("the repository has no default branch (is it empty?)")
	}
	s.branch = head.Name()
	depth := 0
	if !s.paths.active() && s.filter == nil && s.since.IsZero() {
		depth = s.limit // the first-parent chain of limit commits is all we read
	}
	spec := config.RefSpec("+" + head.Name().String() + ":" + head.Name().String())
	return fetchPlan{what: "branch " + head.Name().Short(), refSpecs: []config.RefSpec{spec}, depth: depth},
		"branch " + head.Name().String() + " " + head.Hash().String(), nil
}

// defaultBranch is the branch HEAD points to: from the symref the server advertises, else the
// branch at HEAD's commit, preferring main and master.
func defaultBranch(refs []*plumbing.Reference, byName map[plumbing.ReferenceName]*plumbing.Reference) *plumbing.Reference {
	head := byName[plumbing.HEAD]
	if head == nil {
		return nil
	}
	if head.Type() == plumbing.SymbolicReference {
		return byName[head.Target()]
	}
	var match []*plumbing.Reference
	for _, r := range refs {
		if r.Name().IsBranch() && r.Hash() == head.Hash() {
			match = append(match, r)
		}
	}
	slices.SortFunc(match, func(a, b *plumbing.Reference) int {
		rank := func(r *plumbing.Reference) int {
			switch r.Name().Short() {
			case "main":
				return 0
			case "master":
				return 1
			}
			return 2
		}
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a.Name().String(), b.Name().String())
	})
	if len(match) == 0 {
		return nil
	}
	return match[0]
}

func (s *selection) wantedTags(refs []*plumbing.Reference) (fetchPlan, string, error) {
	var lines []string
	for _, r := range refs {
		if !r.Name().IsTag() || strings.HasSuffix(r.Name().String(), "^{}") {
			continue
		}
		tag := r.Name().Short()
		if !s.tags.Match(tag) {
			continue
		}
		if s.strategy == SemVer && len(discovery.SortSemverWith([]string{tag}, s.constraint, s.strict)) == 0 {
			continue
		}
		s.candidates = append(s.candidates, tag)
		lines = append(lines, r.Name().String()+" "+r.Hash().String())
	}
	sort.Strings(s.candidates)
	sort.Strings(lines)
	fingerprint := "tags\n" + strings.Join(lines, "\n")
	if len(lines) > maxReusableTags {
		fingerprint = ""
	}
	plan := fetchPlan{what: fmt.Sprintf("%d tags", len(s.candidates))}
	if !s.paths.active() {
		plan.depth = 1 // only the tagged commits themselves are read
	}
	if len(s.candidates) > maxTagRefSpecs {
		plan.refSpecs = []config.RefSpec{"+refs/tags/*:refs/tags/*"}
		return plan, fingerprint, nil
	}
	for _, t := range s.candidates {
		plan.refSpecs = append(plan.refSpecs, config.RefSpec("+refs/tags/"+t+":refs/tags/"+t))
	}
	return plan, fingerprint, nil
}

// discover selects the commits from what was fetched into r.
func (s *selection) discover(ctx context.Context, r *git.Repository) ([]v1.DiscoveredCommit, error) {
	if s.strategy == NewestFromBranch {
		return s.discoverBranch(ctx, r)
	}
	return s.discoverTags(ctx, r)
}
