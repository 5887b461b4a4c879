package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// HealthConfig is the config of the health check the argocd-update step registers, which
// the argocd executor evaluates for the Stage's health.
type HealthConfig struct {
	Apps []HealthApp `json:"apps"`
}

// HealthApp is one Application of a health check.
type HealthApp struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// DesiredRevisions are the revisions by source position; "" where none is desired.
	DesiredRevisions []string `json:"desiredRevisions,omitempty"`
}

// AppStatus is what a health check observed of one Application.
type AppStatus struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Status    string   `json:"status"`
	Health    string   `json:"health,omitempty"`
	Sync      string   `json:"sync,omitempty"`
	Revisions []string `json:"revisions,omitempty"`
}

// DecodeHealthConfig reads the config of a registered health check.
func DecodeHealthConfig(m map[string]any) (HealthConfig, error) {
	var cfg HealthConfig
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		return cfg, fmt.Errorf("decode argocd-update health check: %w", err)
	}
	return cfg, nil
}

// CheckHealth evaluates a health check of argocd-update: the worst status of its
// Applications, each problem as an issue, and what was observed of each Application. It
// reports through its results only: a failed call makes that Application Unknown.
func CheckHealth(ctx context.Context, c *Client, cfg HealthConfig) (status string, issues []string, apps []AppStatus) {
	status = v1.HealthHealthy
	for _, a := range cfg.Apps {
		st, issue, obs := checkApp(ctx, c, a)
		if v1.HealthSeverity(st) > v1.HealthSeverity(status) {
			status = st
		}
		if issue != "" {
			issues = append(issues, issue)
		}
		apps = append(apps, obs)
	}
	return status, issues, apps
}

func checkApp(ctx context.Context, c *Client, a HealthApp) (string, string, AppStatus) {
	ns := c.Namespace(a.Namespace)
	id := ns + "/" + a.Name
	obs := AppStatus{Name: a.Name, Namespace: ns}
	verdict := func(status, issue string) (string, string, AppStatus) {
		obs.Status = status
		return status, issue, obs
	}
	app, err := c.Get(ctx, a.Name, ns)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return verdict(v1.HealthUnknown, fmt.Sprintf("Argo CD Application %q not found", id))
		}
		return verdict(v1.HealthUnknown, fmt.Sprintf("cannot read Argo CD Application %q: %v", id, err))
	}
	obs.Health, obs.Sync = app.Status.Health.Status, app.Status.Sync.Status
	obs.Revisions = app.Status.Sync.Revisions
	if len(obs.Revisions) == 0 && app.Status.Sync.Revision != "" {
		obs.Revisions = []string{app.Status.Sync.Revision}
	}
	op := app.Status.OperationState
	if op != nil && op.FinishedAt != nil && (app.Status.ReconciledAt == nil || op.FinishedAt.After(*app.Status.ReconciledAt)) {
		// Argo CD has not compared the app since the sync ended: what it says is stale.
		_, _ = c.Refresh(ctx, a.Name, ns, false)
		return verdict(v1.HealthUnknown, fmt.Sprintf("Argo CD Application %q has not been reconciled since its last operation; refresh requested", id))
	}
	for _, cond := range app.Status.Conditions {
		if cond.Type == "ComparisonError" || cond.Type == "InvalidSpecError" {
			return verdict(v1.HealthUnhealthy, fmt.Sprintf("Argo CD Application %q has a %s: %s", id, cond.Type, cond.Message))
		}
	}
	if slices.ContainsFunc(a.DesiredRevisions, func(s string) bool { return s != "" }) {
		if app.Operation != nil || (op != nil && !op.Completed()) {
			return verdict(v1.HealthUnknown, fmt.Sprintf("Argo CD Application %q is syncing", id))
		}
		observed := app.Status.Sync.Revisions
		if !app.Spec.MultiSource() {
			observed = []string{app.Status.Sync.Revision}
		}
		for i, d := range a.DesiredRevisions {
			got := ""
			if i < len(observed) {
				got = observed[i]
			}
			if d != "" && got != d {
				return verdict(v1.HealthUnhealthy, fmt.Sprintf("Argo CD Application %q source %d is synced to revision %q, not the desired %q", id, i+1, got, d))
			}
		}
	}
	switch h := app.Status.Health; h.Status {
	case HealthHealthy:
		return verdict(v1.HealthHealthy, "")
	case "", HealthProgressing, HealthSuspended:
		return verdict(v1.HealthProgressing, fmt.Sprintf("Argo CD Application %q is %s", id, orUnset(h.Status)))
	default:
		issue := fmt.Sprintf("Argo CD Application %q has health status %q", id, h.Status)
		if h.Message != "" {
			issue += ": " + h.Message
		}
		return verdict(v1.HealthUnhealthy, issue)
	}
}

func orUnset(s string) string {
	if s == "" {
		return "without health status"
	}
	return s
}
