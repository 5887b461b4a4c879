package httpstep_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	s := newServer(t)
	steptest.Conformance(t, httpstep.New(s.trusted()), steptest.Case{
		Config: map[string]any{"url": s.URL + "/json", "outputs": []any{map[string]any{"name": "status", "fromExpression": "response.status"}}},
	})
}
