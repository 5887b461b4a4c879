package yamlupdate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/yamlupdate"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, yamlupdate.New(), steptest.GoldenCase(t, "testdata/first-document.txtar"))
}
