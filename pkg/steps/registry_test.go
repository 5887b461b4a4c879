package steps_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/steps"
)

// named is a step that does nothing.
type named string

func (n named) Info() steps.Info { return steps.Info{Name: string(n), Executor: "test"} }
func (n named) Run(context.Context, *steps.Context) (steps.Result, error) {
	return steps.Result{}, nil
}

func TestRegistry(t *testing.T) {
	r, err := steps.NewRegistry(named("git-push"), named("git-clone"), named("http"))
	if err != nil {
		t.Fatalf("NewRegistry() = %v", err)
	}
	if diff := cmp.Diff([]string{"git-clone", "git-push", "http"}, r.Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
	s, err := r.Lookup("git-clone")
	if err != nil || s != named("git-clone") {
		t.Errorf("Lookup(git-clone) = %v, %v; want git-clone", s, err)
	}
	s, err = r.Lookup("git-pull")
	if !errors.Is(err, steps.ErrUnknownStep) {
		t.Errorf("Lookup(git-pull) = %v, %v; want ErrUnknownStep", s, err)
	}
	if err != nil && !contains(err.Error(), `"git-pull"`) {
		t.Errorf("Lookup(git-pull) = %q, want it to name the step", err)
	}
}

func TestRegistryDuplicate(t *testing.T) {
	r, err := steps.NewRegistry(named("git-push"), named("http"), named("git-push"))
	var dup *steps.DuplicateStepError
	if !errors.As(err, &dup) {
		t.Fatalf("NewRegistry(duplicate) = %v, %v; want *DuplicateStepError", r, err)
	}
	if dup.Name != "git-push" {
		t.Errorf("DuplicateStepError.Name = %q, want %q", dup.Name, "git-push")
	}
	if got, want := err.Error(), `duplicate step "git-push"`; got != want {
		t.Errorf("NewRegistry(duplicate) = %q, want %q", got, want)
	}
}

func TestEmptyRegistry(t *testing.T) {
	r, err := steps.NewRegistry()
	if err != nil {
		t.Fatalf("NewRegistry() = %v", err)
	}
	if got := r.Names(); len(got) != 0 {
		t.Errorf("Names() = %v, want none", got)
	}
	if _, err := r.Lookup(""); !errors.Is(err, steps.ErrUnknownStep) {
		t.Errorf("Lookup(\"\") = %v, want ErrUnknownStep", err)
	}
}

func TestRegistryFallback(t *testing.T) {
	r, err := steps.NewRegistry(named("http"))
	if err != nil {
		t.Fatal(err)
	}
	r.WithFallback(func(uses string) steps.Step {
		if uses == "custom" {
			return named("custom")
		}
		return nil
	})
	if s, err := r.Lookup("http"); err != nil || s != named("http") {
		t.Errorf("Lookup(http) = %v, %v; want the registered step", s, err)
	}
	if s, err := r.Lookup("custom"); err != nil || s != named("custom") {
		t.Errorf("Lookup(custom) = %v, %v; want the fallback's step", s, err)
	}
	if _, err := r.Lookup("other"); !errors.Is(err, steps.ErrUnknownStep) {
		t.Errorf("Lookup(other) = %v, want ErrUnknownStep", err)
	}
}
