package copystep_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/copystep"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, copystep.New(), steptest.GoldenCase(t, "testdata/file.txtar"))
}
