package expr

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// lookup is one imageFrom or commitFrom call: what it looks for, how a Warehouse's
// subscription and a Freight's artifacts answer it.
type lookup struct {
	fn, repoURL string
	// sub is the subscription name asked for; empty: any subscription to repoURL.
	sub  string
	what string
	// subscribes reports whether a subscription is to repoURL (whatever its name).
	subscribes func(v1.RepoSubscription) bool
	// artifacts are a Freight's artifacts from repoURL, in order, with their subscription's
	// name.
	artifacts func(*v1.Freight) []named
}

// named is an artifact and the name of the subscription it came from.
type named struct {
	artifact any
	sub      string
}

// lookUp finds what l asks for in the Freight of origin, resolving the origin from the
// requested Warehouses when none is given. With a subscription name, only that
// subscription's artifact answers; an unknown name is an error when the Warehouses are at
// hand, so a typo does not render empty. Without one, a Warehouse that subscribes to the
// repository more than once (Kargo #6724) makes the call an error that names its
// subscriptions: the URL alone no longer says which artifact is meant.
func (env *Env) lookUp(l *lookup, origin *v1.FreightOrigin) (any, error) {
	what := l.what
	if l.sub != "" {
		what += fmt.Sprintf(" of subscription %q", l.sub)
	}
	subscribes := func(s v1.RepoSubscription) bool { return l.subscribes(s) && (l.sub == "" || s.Name == l.sub) }
	match := func(f *v1.Freight) (any, bool) {
		for _, a := range l.artifacts(f) {
			if l.sub == "" || a.sub == l.sub {
				return a.artifact, true
			}
		}
		return nil, false
	}
	resolved, err := env.resolve(origin, what, subscribes, match)
	if err != nil {
		return nil, err
	}
	if resolved == nil && env.Requested != nil {
		if l.sub != "" && origin == nil {
			return nil, fmt.Errorf("%s: no requested Warehouse has a subscription named %q to %s (to name a Warehouse, use warehouse(%q))", l.fn, l.sub, l.repoURL, l.sub)
		}
		return nil, nil
	}
	if l.sub == "" {
		if err := env.oneSubscription(l, resolved); err != nil {
			return nil, err
		}
	}
	return find(env.Freight, resolved, what, match)
}

// oneSubscription refuses l, asked by URL alone, when the Warehouse of origin subscribes to
// the repository more than once; without the requested Warehouses at hand, when the Freight
// of origin (any, when nil) hold its artifacts from several subscriptions.
func (env *Env) oneSubscription(l *lookup, origin *v1.FreightOrigin) error {
	var subs []string
	where := ""
	if env.Requested != nil && origin != nil {
		warehouses, err := env.Requested()
		if err != nil {
			return err
		}
		for _, w := range warehouses {
			if !sameOrigin(v1.FreightOrigin{Kind: warehouseKind, Name: w.Metadata.Name}, *origin) {
				continue
			}
			for _, s := range w.Spec.Subscriptions {
				if l.subscribes(s) && !slices.Contains(subs, s.Name) {
					subs = append(subs, s.Name)
				}
			}
			where = fmt.Sprintf("Warehouse %q", w.Metadata.Name)
		}
	} else {
		byOrigin := map[string][]string{}
		for i := range env.Freight {
			f := &env.Freight[i]
			if origin != nil && !sameOrigin(f.Origin, *origin) {
				continue
			}
			for _, a := range l.artifacts(f) {
				if names := byOrigin[f.Origin.Name]; !slices.Contains(names, a.sub) {
					byOrigin[f.Origin.Name] = append(names, a.sub)
				}
			}
		}
		for _, o := range slices.Sorted(maps.Keys(byOrigin)) {
			if len(byOrigin[o]) > 1 {
				subs, where = byOrigin[o], fmt.Sprintf("the Freight of Warehouse %q", o)
				break
			}
		}
	}
	if len(subs) < 2 {
		return nil
	}
	return fmt.Errorf("%s: %s has %s from more than one subscription (%s): name the one you mean, e.g. %s('%s', '%s')",
		l.fn, where, l.repoURL, `"`+strings.Join(subs, `", "`)+`"`, l.fn, l.repoURL, subs[0])
}
