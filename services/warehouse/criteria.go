package warehouse

import (
	"fmt"
	"strconv"
	"time"

	"github.com/expr-lang/expr"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/freight"
)

// The values the criteria functions return (docs/expressions.md#freightcreationcriteria): element 0 of the matching
// subscription's discovery.
type (
	criteriaCommit struct {
		ID, Branch, Tag, Subject, Author, Committer string
		CreatorDate                                 *time.Time
	}
	criteriaImage struct {
		Tag, Digest string
		Annotations map[string]string
		CreatedAt   *time.Time
	}
	criteriaChart struct{ RepoURL, Name, Version string }
)

// genericArtifact is what artifactFrom returns (docs/expressions.md#freight): Metadata is {} when
// absent.
func genericArtifact(kind, subscription string, a v1.DiscoveredGenericArtifact) v1.GenericArtifact {
	md := a.Metadata
	if md == nil {
		md = map[string]any{}
	}
	return v1.GenericArtifact{ArtifactType: kind, SubscriptionName: subscription, Version: a.Version, Metadata: md}
}

// criteriaMet evaluates a freightCreationCriteria expression over what was discovered. An
// empty expression is met. A non-bool result is read with strconv.ParseBool of its %v text.
func criteriaMet(expression string, found []Artifacts) (bool, error) {
	if expression == "" {
		return true, nil
	}
	env := map[string]any{
		"commitFrom": func(args ...any) (any, error) {
			url, err := stringArg("commitFrom", args, 0)
			for _, a := range found {
				if err == nil && a.Git != nil && len(a.Git.Commits) > 0 && freight.NormalizeGitURL(a.Git.RepoURL) == freight.NormalizeGitURL(url) {
					c := a.Git.Commits[0]
					return criteriaCommit{c.ID, c.Branch, c.Tag, c.Subject, c.Author, c.Committer, c.CreatorDate}, nil
				}
			}
			return nil, err
		},
		"imageFrom": func(args ...any) (any, error) {
			url, err := stringArg("imageFrom", args, 0)
			for _, a := range found {
				if err == nil && a.Image != nil && len(a.Image.References) > 0 && freight.NormalizeImageURL(a.Image.RepoURL) == freight.NormalizeImageURL(url) {
					r := a.Image.References[0]
					return criteriaImage{r.Tag, r.Digest, r.Annotations, r.CreatedAt}, nil
				}
			}
			return nil, err
		},
		"chartFrom": func(args ...any) (any, error) {
			url, err := stringArg("chartFrom", args, 0)
			name := ""
			if err == nil && len(args) > 1 {
				name, err = stringArg("chartFrom", args, 1)
			}
			for _, a := range found {
				c := a.Chart
				if err == nil && c != nil && len(c.Versions) > 0 && freight.NormalizeChartURL(c.RepoURL) == freight.NormalizeChartURL(url) && (name == "" || c.Name == name) {
					return criteriaChart{freight.NormalizeChartURL(c.RepoURL), c.Name, c.Versions[0]}, nil
				}
			}
			return nil, err
		},
		"artifactFrom": func(args ...any) (any, error) {
			name, err := stringArg("artifactFrom", args, 0)
			for _, a := range found {
				if g := a.Generic; err == nil && g != nil && len(g.Artifacts) > 0 && g.SubscriptionName == name {
					return genericArtifact(g.ArtifactType, name, g.Artifacts[0]), nil
				}
			}
			return nil, err
		},
	}
	out, err := expr.Eval(expression, env)
	if err != nil {
		return false, fmt.Errorf("freightCreationCriteria.expression %q: %w", expression, err)
	}
	if b, ok := out.(bool); ok {
		return b, nil
	}
	b, err := strconv.ParseBool(fmt.Sprint(out))
	if err != nil {
		return false, fmt.Errorf("freightCreationCriteria.expression %q gave %v, which is not a boolean", expression, out)
	}
	return b, nil
}

func stringArg(fn string, args []any, i int) (string, error) {
	if len(args) <= i {
		return "", fmt.Errorf("%s needs a repository URL", fn)
	}
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("%s: argument %d is %T, not a string", fn, i+1, args[i])
	}
	return s, nil
}

// criteria is the spec's criteria expression, or "".
func criteria(spec v1.WarehouseSpec) string {
	if spec.FreightCreationCriteria == nil {
		return ""
	}
	return spec.FreightCreationCriteria.Expression
}
