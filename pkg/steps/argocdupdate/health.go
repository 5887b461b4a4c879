package argocdupdate

import (
	"context"

	"github.com/drayhq/dray/pkg/argocd"
)

// The health check the step registers is evaluated by the argocd executor; its config and
// its evaluation live in pkg/argocd, and the Promotion's recorded checks are read with
// promotion.HealthChecks. These names keep the step's own vocabulary.
type (
	// HealthConfig is argocd.HealthConfig.
	HealthConfig = argocd.HealthConfig
	// HealthApp is argocd.HealthApp.
	HealthApp = argocd.HealthApp
	// AppStatus is argocd.AppStatus.
	AppStatus = argocd.AppStatus
)

// DecodeHealthConfig reads the config of a registered health check (argocd.DecodeHealthConfig).
func DecodeHealthConfig(m map[string]any) (HealthConfig, error) { return argocd.DecodeHealthConfig(m) }

// CheckHealth evaluates a health check (argocd.CheckHealth).
func CheckHealth(ctx context.Context, c *argocd.Client, cfg HealthConfig) (status string, issues []string, apps []AppStatus) {
	return argocd.CheckHealth(ctx, c, cfg)
}
