package kustomizebuild_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/kustomizebuild"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, kustomizebuild.New(), steptest.GoldenCase(t, "testdata/overlay-file.txtar"))
}
