package githubpush_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	_, _, work := setup(t)
	steptest.Conformance(t, pushStep(), steptest.Case{
		From:    work,
		Config:  map[string]any{"path": "out"},
		Varying: []string{"commit", "commitURL"},
	})
}
