package tarstep_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tarstep"
)

func TestConformance(t *testing.T) {
	steptest.Conformance(t, tarstep.New(), steptest.Case{
		Config: map[string]any{"inPath": "out/manifests", "outPath": "m.tgz", "gzip": true},
		Files: map[string][]byte{
			"out/manifests/deploy.yaml":      []byte("kind: Deployment\n"),
			"out/manifests/svc/service.yaml": []byte("kind: Service\n"),
		},
	})
}
