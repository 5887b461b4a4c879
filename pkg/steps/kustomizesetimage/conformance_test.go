package kustomizesetimage_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/kustomizesetimage"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, kustomizesetimage.New(nil), steptest.GoldenCase(t, "testdata/set-images.txtar"))
}
