package jsonupdate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/jsonupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, jsonupdate.New(), steptest.GoldenCase(t, "testdata/app-config.txtar"))
}
