package tomlupdate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tomlupdate"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, tomlupdate.New(), steptest.GoldenCase(t, "testdata/pyproject.txtar"))
}
