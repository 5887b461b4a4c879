package expr

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// warehouseKind is the only kind of Freight origin.
const warehouseKind = "Warehouse"

// warehouse implements warehouse(name): the origin argument of the freight functions.
func warehouse(args ...any) (any, error) {
	name, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("warehouse: name must be a string, got %T", args[0])
	}
	if name == "" {
		return nil, errors.New("warehouse: name must not be empty")
	}
	return v1.FreightOrigin{Kind: warehouseKind, Name: name}, nil
}

// imageFrom implements imageFrom(repoURL[, subscriptionName][, origin])
// (docs/expressions.md#freight): the first image of the Freight with exactly that repoURL (and
// from the subscription of that name, when given), or nil.
func (env *Env) imageFrom(args ...any) (any, error) {
	repoURL, sub, origin, err := urlNameOrigin("imageFrom", args)
	if err != nil {
		return nil, err
	}
	l := lookup{fn: "imageFrom", repoURL: repoURL, sub: sub, what: "a container image from repository " + repoURL,
		subscribes: func(s v1.RepoSubscription) bool { return s.Image != nil && s.Image.RepoURL == repoURL },
		artifacts: func(f *v1.Freight) []named {
			var out []named
			for _, img := range f.Images {
				if img.RepoURL == repoURL {
					out = append(out, named{img, img.SubscriptionName})
				}
			}
			return out
		}}
	return env.lookUp(&l, origin)
}

// commitFrom implements commitFrom(repoURL[, subscriptionName][, origin])
// (docs/expressions.md#freight): the first commit of the Freight whose repoURL normalises
// (NormalizeGitURL) to the same URL (and from the subscription of that name, when given), or
// nil.
func (env *Env) commitFrom(args ...any) (any, error) {
	repoURL, sub, origin, err := urlNameOrigin("commitFrom", args)
	if err != nil {
		return nil, err
	}
	want := NormalizeGitURL(repoURL)
	l := lookup{fn: "commitFrom", repoURL: repoURL, sub: sub, what: "a commit from Git repository " + repoURL,
		subscribes: func(s v1.RepoSubscription) bool { return s.Git != nil && NormalizeGitURL(s.Git.RepoURL) == want },
		artifacts: func(f *v1.Freight) []named {
			var out []named
			for _, c := range f.Commits {
				if NormalizeGitURL(c.RepoURL) == want {
					out = append(out, named{c, c.SubscriptionName})
				}
			}
			return out
		}}
	return env.lookUp(&l, origin)
}

// chartFrom implements chartFrom(repoURL[, name][, origin]) (docs/expressions.md#freight): the first chart of the
// Freight with exactly that repoURL and name (empty for OCI). Unlike the other two, it is an
// error when no origin is given and no Freight has the chart.
func (env *Env) chartFrom(args ...any) (any, error) {
	if len(args) < 1 || len(args) > 3 {
		return nil, fmt.Errorf("chartFrom: expected 1 to 3 arguments (repoURL[, chartName][, origin]), got %d", len(args))
	}
	repoURL, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("chartFrom: repoURL must be a string, got %T", args[0])
	}
	var name string
	var origin *v1.FreightOrigin
	switch len(args) {
	case 2:
		if s, ok := args[1].(string); ok {
			name = s
		} else if origin, ok = asOrigin(args[1]); !ok {
			return nil, fmt.Errorf("chartFrom: second argument must be a chart name or an origin from warehouse(), got %T", args[1])
		}
	case 3:
		if name, ok = args[1].(string); !ok {
			return nil, fmt.Errorf("chartFrom: chartName must be a string, got %T", args[1])
		}
		if origin, ok = asOrigin(args[2]); !ok {
			return nil, fmt.Errorf("chartFrom: origin must come from warehouse(), got %T", args[2])
		}
	}
	what := fmt.Sprintf("chart %q from repository %s", name, repoURL)
	given := origin != nil
	match := func(f *v1.Freight) (any, bool) {
		for _, c := range f.Charts {
			if c.RepoURL == repoURL && c.Name == name {
				return c, true
			}
		}
		return nil, false
	}
	origin, err := env.resolve(origin, what, func(s v1.RepoSubscription) bool {
		return s.Chart != nil && s.Chart.RepoURL == repoURL && s.Chart.Name == name
	}, match)
	if err != nil {
		return nil, err
	}
	if origin == nil && env.Requested != nil {
		return nil, fmt.Errorf("chart %q from repo %s not found in referenced Freight", name, repoURL)
	}
	chart, err := find(env.Freight, origin, what, match)
	if err == nil && chart == nil && !given && env.Requested == nil {
		return nil, fmt.Errorf("chart %q from repo %s not found in referenced Freight", name, repoURL)
	}
	return chart, err
}

// artifactFrom implements artifactFrom(subscriptionName[, origin]) (docs/expressions.md#freight):
// the artifact of the generic subscription of that name, or nil. Without an origin, the origin
// is the one requested Warehouse with a subscription of that name.
func (env *Env) artifactFrom(args ...any) (any, error) {
	name, origin, err := stringAndOrigin("artifactFrom", "subscriptionName", args)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("the artifact of subscription %q", name)
	match := func(f *v1.Freight) (any, bool) {
		for _, a := range f.Artifacts {
			if a.SubscriptionName == name {
				if a.Metadata == nil {
					a.Metadata = map[string]any{}
				}
				return a, true
			}
		}
		return nil, false
	}
	origin, err = env.resolve(origin, what, func(s v1.RepoSubscription) bool {
		return s.Generic != nil && s.Name == name
	}, match)
	if err != nil || origin == nil && env.Requested != nil {
		return nil, err
	}
	return find(env.Freight, origin, what, match)
}

// urlNameOrigin checks the (repoURL[, subscriptionName][, origin]) arguments of imageFrom and
// commitFrom.
func urlNameOrigin(fn string, args []any) (url, name string, origin *v1.FreightOrigin, err error) {
	if len(args) < 1 || len(args) > 3 {
		return "", "", nil, fmt.Errorf("%s: expected 1 to 3 arguments (repoURL[, subscriptionName][, origin]), got %d", fn, len(args))
	}
	url, ok := args[0].(string)
	if !ok {
		return "", "", nil, fmt.Errorf("%s: repoURL must be a string, got %T", fn, args[0])
	}
	switch len(args) {
	case 2:
		if name, ok = args[1].(string); !ok {
			if origin, ok = asOrigin(args[1]); !ok {
				return "", "", nil, fmt.Errorf("%s: second argument must be a subscription name or an origin from warehouse(), got %T", fn, args[1])
			}
		}
	case 3:
		if name, ok = args[1].(string); !ok {
			return "", "", nil, fmt.Errorf("%s: subscriptionName must be a string, got %T", fn, args[1])
		}
		if origin, ok = asOrigin(args[2]); !ok {
			return "", "", nil, fmt.Errorf("%s: origin must come from warehouse(), got %T", fn, args[2])
		}
	}
	return url, name, origin, nil
}

// stringAndOrigin checks (param[, origin]) arguments: a string and an optional origin.
func stringAndOrigin(fn, param string, args []any) (string, *v1.FreightOrigin, error) {
	if len(args) < 1 || len(args) > 2 {
		return "", nil, fmt.Errorf("%s: expected 1 or 2 arguments (%s[, origin]), got %d", fn, param, len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return "", nil, fmt.Errorf("%s: %s must be a string, got %T", fn, param, args[0])
	}
	if len(args) == 1 {
		return s, nil, nil
	}
	origin, ok := asOrigin(args[1])
	if !ok {
		return "", nil, fmt.Errorf("%s: origin must come from warehouse(), got %T", fn, args[1])
	}
	return s, origin, nil
}

// asOrigin accepts the value of warehouse(name).
func asOrigin(v any) (*v1.FreightOrigin, bool) {
	switch o := v.(type) {
	case v1.FreightOrigin:
		return &o, true
	case *v1.FreightOrigin:
		return o, o != nil
	}
	return nil, false
}

// resolve returns origin when one was given. Without one, and with the Stage's requested
// Warehouses at hand, it is the one requested Warehouse with a subscription that subscribes
// says provides what; nil when none does. Several are an error naming them, whatever Freight
// the collection holds. A Warehouse without subscriptions (one that no longer exists) counts
// when its Freight in the collection has what (match). Without the Warehouses (env.Requested
// nil), origin stays nil for find.
func (env *Env) resolve(origin *v1.FreightOrigin, what string, subscribes func(v1.RepoSubscription) bool, match func(*v1.Freight) (any, bool)) (*v1.FreightOrigin, error) {
	if origin != nil || env.Requested == nil {
		return origin, nil
	}
	warehouses, err := env.Requested()
	if err != nil {
		return nil, err
	}
	held := func(name string) bool {
		return slices.ContainsFunc(env.Freight, func(f v1.Freight) bool {
			_, ok := match(&f)
			return ok && sameOrigin(f.Origin, v1.FreightOrigin{Kind: warehouseKind, Name: name})
		})
	}
	var from []string
	for _, w := range warehouses {
		name := w.Metadata.Name
		provides := slices.ContainsFunc(w.Spec.Subscriptions, subscribes) || len(w.Spec.Subscriptions) == 0 && held(name)
		if provides && !slices.Contains(from, name) {
			from = append(from, name)
		}
	}
	switch len(from) {
	case 0:
		return nil, nil
	case 1:
		return &v1.FreightOrigin{Kind: warehouseKind, Name: from[0]}, nil
	}
	return nil, fmt.Errorf("multiple requested Freight could potentially provide %s (Warehouses %s subscribe to it): disambiguate with warehouse(...) as the origin argument",
		what, strings.Join(from, ", "))
}

// find returns the first artifact that match finds in the Freight of origin, or, without an
// origin, in the one Freight origin that provides it. Several providing origins are an
// error; none is a nil result.
func find(freight []v1.Freight, origin *v1.FreightOrigin, what string, match func(*v1.Freight) (any, bool)) (any, error) {
	var found any
	var from []string
	for i := range freight {
		f := &freight[i]
		if origin != nil && !sameOrigin(f.Origin, *origin) {
			continue
		}
		a, ok := match(f)
		if !ok || slices.Contains(from, f.Origin.Name) {
			continue
		}
		if found == nil {
			found = a
		}
		from = append(from, f.Origin.Name)
	}
	if len(from) > 1 {
		return nil, fmt.Errorf("multiple requested Freight could potentially provide %s (from Warehouses %s): disambiguate with warehouse(...) as the origin argument",
			what, strings.Join(from, ", "))
	}
	return found, nil
}

// sameOrigin compares origins; an empty kind means Warehouse.
func sameOrigin(a, b v1.FreightOrigin) bool {
	kind := func(k string) string {
		if k == "" {
			return warehouseKind
		}
		return k
	}
	return a.Name == b.Name && kind(a.Kind) == kind(b.Kind)
}
