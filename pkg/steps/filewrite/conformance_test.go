package filewrite_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/filewrite"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, filewrite.New(), steptest.GoldenCase(t, "testdata/release-json.txtar"))
}
