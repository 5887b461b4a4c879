package steps

import (
	"fmt"
	"sort"
)

// DuplicateStepError is returned by NewRegistry when two steps share a name.
type DuplicateStepError struct{ Name string }

func (e *DuplicateStepError) Error() string { return fmt.Sprintf("duplicate step %q", e.Name) }

// Registry finds steps by name. It is safe for concurrent use once built.
type Registry struct {
	steps    map[string]Step
	fallback func(uses string) Step
}

// NewRegistry registers steps by their Info().Name.
func NewRegistry(list ...Step) (*Registry, error) {
	r := &Registry{steps: make(map[string]Step, len(list))}
	for _, s := range list {
		name := s.Info().Name
		if _, dup := r.steps[name]; dup {
			return nil, &DuplicateStepError{Name: name}
		}
		r.steps[name] = s
	}
	return r, nil
}

// Lookup returns the step named uses, or an error wrapping ErrUnknownStep.
func (r *Registry) Lookup(uses string) (Step, error) {
	s, ok := r.steps[uses]
	if !ok && r.fallback != nil {
		if s = r.fallback(uses); s != nil {
			return s, nil
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStep, uses)
	}
	return s, nil
}

// WithFallback makes Lookup ask f for a name that no registered step has, and returns r.
// The container executor answers every CustomPromotionStep name this way. f returns nil for
// a name it does not take; Lookup then fails as before. Call it while building the registry.
func (r *Registry) WithFallback(f func(uses string) Step) *Registry {
	r.fallback = f
	return r
}

// Names lists the registered step names in order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.steps))
	for n := range r.steps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
