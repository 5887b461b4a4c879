package helmtemplate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/helmtemplate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, helmtemplate.New(), steptest.GoldenCase(t, "testdata/single-file.txtar"))
}
