package argocd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Selector is a Kubernetes label selector.
type Selector struct {
	MatchLabels      map[string]string `json:"matchLabels,omitempty"`
	MatchExpressions []Requirement     `json:"matchExpressions,omitempty"`
}

// Requirement is one matchExpressions entry: operator In, NotIn, Exists or DoesNotExist.
type Requirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// String renders the selector in the query syntax the API server takes, e.g.
// "app=web,env in (prod,qa)".
func (s *Selector) String() string {
	var parts []string
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, r := range s.MatchExpressions {
		switch r.Operator {
		case "In":
			parts = append(parts, fmt.Sprintf("%s in (%s)", r.Key, strings.Join(r.Values, ",")))
		case "NotIn":
			parts = append(parts, fmt.Sprintf("%s notin (%s)", r.Key, strings.Join(r.Values, ",")))
		case "Exists":
			parts = append(parts, r.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+r.Key)
		}
	}
	return strings.Join(parts, ",")
}

// Matches reports whether labels satisfy the selector. An empty selector matches nothing, as
// a step must not act on every Application by mistake.
func (s *Selector) Matches(labels map[string]string) bool {
	if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return false
	}
	for k, v := range s.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, r := range s.MatchExpressions {
		v, ok := labels[r.Key]
		switch r.Operator {
		case "In":
			if !ok || !slices.Contains(r.Values, v) {
				return false
			}
		case "NotIn":
			if ok && slices.Contains(r.Values, v) {
				return false
			}
		case "Exists":
			if !ok {
				return false
			}
		case "DoesNotExist":
			if ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Find returns the Application name in namespace ns, or, when name is empty, the Applications
// there that sel matches (none is not an error). A missing named Application is an error
// wrapping ErrNotFound that names it.
func (c *Client) Find(ctx context.Context, ns, name string, sel *Selector) ([]Application, error) {
	ns = c.Namespace(ns)
	if name != "" {
		app, err := c.Get(ctx, name, ns)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("Argo CD Application %s/%s: %w", ns, name, err)
			}
			return nil, err
		}
		return []Application{*app}, nil
	}
	if sel == nil {
		return nil, errors.New("argocd: neither a name nor a selector")
	}
	// The server filters by the selector; check again here in case it ignored part of it.
	list, err := c.List(ctx, ns, sel.String())
	if err != nil {
		return nil, err
	}
	var out []Application
	for _, app := range list {
		if sel.Matches(app.Metadata.Labels) {
			out = append(out, app)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out, nil
}
