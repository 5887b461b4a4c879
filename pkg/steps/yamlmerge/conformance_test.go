package yamlmerge_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/yamlmerge"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, yamlmerge.New(), steptest.GoldenCase(t, "testdata/one-file.txtar"))
}
