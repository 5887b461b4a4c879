package hclupdate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/hclupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, hclupdate.New(), steptest.GoldenCase(t, "testdata/tfvars.txtar"))
}
