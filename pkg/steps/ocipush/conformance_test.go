package ocipush_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/drayhq/dray/pkg/steps/internal/ocitest"
	"github.com/drayhq/dray/pkg/steps/ocipush"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	host := ocitest.Registry(t, "", "")
	ocitest.Push(t, host+"/app:build-7", ocitest.Image(t, ocitest.Layer{MediaType: types.OCILayer, Data: "app"}))
	steptest.Conformance(t, ocipush.New(ocipush.Options{}), steptest.Case{
		Config: map[string]any{"srcRef": host + "/app:build-7", "destRef": host + "/app:prod"},
	})
}
