package ocidownload_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/internal/ocitest"
	"github.com/drayhq/dray/pkg/steps/ocidownload"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	ocitest.Push(t, host+"/charts/app:1.0.0", ocitest.Image(t, ocitest.Layer{MediaType: chartType, Data: "chart archive"}))
	steptest.Conformance(t, ocidownload.New(ocidownload.Options{}), steptest.Case{
		Config: map[string]any{"imageRef": host + "/charts/app:1.0.0", "outPath": "charts/app.tgz"},
	})
}
