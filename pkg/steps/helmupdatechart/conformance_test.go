package helmupdatechart_test

import (
	"regexp"
	"testing"

	"github.com/drayhq/dray/pkg/steps/helmupdatechart"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	classic, oci := repos(t)
	generated := regexp.MustCompile(`(?m)^generated: .*$`)
	steptest.Conformance(t, helmupdatechart.New(helmupdatechart.WithPlainHTTP()), steptest.Case{
		Config: map[string]any{"path": "u", "charts": []any{
			map[string]any{"repository": classic, "name": "redis", "version": "1.1.0"},
			map[string]any{"repository": oci, "name": "nats", "version": "2.1.0"},
		}},
		Files: map[string][]byte{"u/Chart.yaml": []byte(chartYAML(classic, oci, "1.0.0", "2.0.0"))},
		// Helm stamps Chart.lock with the time it was written.
		Scrub: func(_, content string) string { return generated.ReplaceAllString(content, "generated: (time)") },
	})
}
