package jsonparse_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/jsonparse"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, jsonparse.New(), steptest.GoldenCase(t, "testdata/package.txtar"))
}
