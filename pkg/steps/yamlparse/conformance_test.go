package yamlparse_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/yamlparse"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, yamlparse.New(), steptest.GoldenCase(t, "testdata/helm-values.txtar"))
}
