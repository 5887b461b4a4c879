package expr_test

import (
	"fmt"
	"sync"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// TestEvaluatorConcurrent runs the same cached programs against many environments at once
// (run with -race). Each goroutine must see its own Env: a cache that kept the first Env,
// or unsynchronised cache access, fails.
func TestEvaluatorConcurrent(t *testing.T) {
	e := expr.New()
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			tag := fmt.Sprintf("t%d", w)
			env := &expr.Env{
				Vars: map[string]any{"w": float64(w)},
				Freight: []v1.Freight{{
					Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "wh"},
					Images: []v1.Image{{RepoURL: "img", Tag: tag}},
				}},
				Status: func(string) string { return tag },
			}
			for i := range rounds {
				checks := []struct {
					tmpl string
					want any
				}{
					{"${{ vars.w * 2 }}", float64(2 * w)},
					{"${{ imageFrom('img').Tag }}", tag},
					{"${{ status('x') }}", tag},
					// One new program per round and worker, so compiles race with runs.
					{fmt.Sprintf("${{ vars.w + %d }}", i), float64(w + i)},
				}
				for _, c := range checks {
					got, err := e.Template(c.tmpl, env)
					if err != nil || got != c.want {
						errs <- fmt.Errorf("worker %d: Template(%q) = %v, %v; want %v", w, c.tmpl, got, err, c.want)
						return
					}
				}
				if _, err := e.Bare("1 + ", nil); err == nil {
					errs <- fmt.Errorf("worker %d: cached compile error lost", w)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestEvaluatorKinds checks that a template program and a bare program with the same source
// are cached apart: templates have the quote family, bare expressions do not.
func TestEvaluatorKinds(t *testing.T) {
	e := expr.New()
	for range 2 {
		if got, err := e.Template("${{quote(1)}}", nil); err != nil || got != "1" {
			t.Fatalf("Template(quote(1)) = %v, %v; want \"1\"", got, err)
		}
		if got, err := e.Bare("quote(1)", nil); err == nil {
			t.Fatalf("Bare(quote(1)) = %v, want an error (no template functions in bare expressions)", got)
		}
	}
}
