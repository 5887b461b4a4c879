package deletestep_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/deletestep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, deletestep.New(), steptest.GoldenCase(t, "testdata/glob.txtar"))
}
