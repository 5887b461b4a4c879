package tomlparse_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tomlparse"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, tomlparse.New(), steptest.GoldenCase(t, "testdata/cargo.txtar"))
}
