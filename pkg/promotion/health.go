package promotion

import v1 "github.com/drayhq/dray/pkg/api/v1"

// healthCheckSteps are the step kinds whose healthCheck output registers a health check
// (only argocd-update does, as in Kargo).
var healthCheckSteps = map[string]bool{"argocd-update": true}

// HealthChecks returns the health checks p registered: the healthCheck outputs ({uses,
// config}) of its succeeded argocd-update steps, in step order. The Stage waits for them to
// be Healthy before it verifies the Freight.
func HealthChecks(p *v1.Promotion) []v1.HealthCheck {
	var out []v1.HealthCheck
	for _, m := range p.Status.StepExecutionMetadata {
		if !healthCheckSteps[m.Uses] || m.Status != v1.StepSucceeded {
			continue
		}
		hc, ok := p.Status.State[m.Alias]["healthCheck"].(map[string]any)
		if !ok {
			continue
		}
		cfg, _ := hc["config"].(map[string]any)
		uses, _ := hc["uses"].(string)
		out = append(out, v1.HealthCheck{Uses: uses, Config: cfg})
	}
	return out
}
