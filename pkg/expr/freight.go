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

// imageFrom implements imageFrom(repoURL[, origin]) (docs/expressions.md#freight): the first image of the Freight
// with exactly that repoURL, or nil.
func (env *Env) imageFrom(args ...any) (any, error) {
	repoURL, origin, err := urlAndOrigin("imageFrom", args)
	if err != nil {
		return nil, err
	}
	what := "a container image from repository " + repoURL
	return find(env.Freight, origin, what, func(f *v1.Freight) (any, bool) {
		for _, img := range f.Images {
			if img.RepoURL == repoURL {
				return img, true
			}
		}
		return nil, false
	})
}

// commitFrom implements commitFrom(repoURL[, origin]) (docs/expressions.md#freight): the first commit of the Freight
// whose repoURL normalises (NormalizeGitURL) to the same URL, or nil.
func (env *Env) commitFrom(args ...any) (any, error) {
	repoURL, origin, err := urlAndOrigin("commitFrom", args)
	if err != nil {
		return nil, err
	}
	want := NormalizeGitURL(repoURL)
	what := "a commit from Git repository " + repoURL
	return find(env.Freight, origin, what, func(f *v1.Freight) (any, bool) {
		for _, c := range f.Commits {
			if NormalizeGitURL(c.RepoURL) == want {
				return c, true
			}
		}
		return nil, false
	})
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
	chart, err := find(env.Freight, origin, what, func(f *v1.Freight) (any, bool) {
		for _, c := range f.Charts {
			if c.RepoURL == repoURL && c.Name == name {
				return c, true
			}
		}
		return nil, false
	})
	if err == nil && chart == nil && origin == nil {
		return nil, fmt.Errorf("chart %q from repo %s not found in referenced Freight", name, repoURL)
	}
	return chart, err
}

// artifactFrom implements artifactFrom(subscriptionName[, origin]) (docs/expressions.md#freight). v1.Freight has no
// generic artifacts yet, so after checking its arguments it always returns nil, the result for
// a subscription that no Freight provides.
func (env *Env) artifactFrom(args ...any) (any, error) {
	if _, _, err := stringAndOrigin("artifactFrom", "subscriptionName", args); err != nil {
		return nil, err
	}
	return nil, nil
}

// urlAndOrigin checks the (repoURL[, origin]) arguments of imageFrom and commitFrom.
func urlAndOrigin(fn string, args []any) (string, *v1.FreightOrigin, error) {
	return stringAndOrigin(fn, "repoURL", args)
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
