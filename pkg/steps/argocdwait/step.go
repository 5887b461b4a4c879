package argocdwait

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/steps"
)

// Name is the step's name, the value of uses.
const Name = "argocd-wait"

// DefaultPollInterval is how long the step asks to wait before it looks again.
const DefaultPollInterval = 10 * time.Second

// ReasonDegraded: an awaited Application turned Degraded (Failed, terminal).
const ReasonDegraded = "ApplicationDegraded"

// Clients gives the Argo CD client of a project; *argocd.Provider is one.
type Clients interface {
	Client(ctx context.Context, project string) (*argocd.Client, error)
}

// Step is the argocd-wait step. It is safe for concurrent use.
type Step struct {
	clients Clients
	poll    time.Duration
}

var _ steps.Step = (*Step)(nil)

// New returns the argocd-wait step, reaching Argo CD through clients.
func New(clients Clients) *Step { return &Step{clients: clients, poll: DefaultPollInterval} }

// Info names the step: it runs on the argocd executor, never changes the workspace, and
// defaults retry.timeout to 5m.
func (*Step) Info() steps.Info {
	return steps.Info{Name: Name, Executor: "argocd", ReadOnly: true, DefaultTimeout: 5 * time.Minute}
}

// Run looks once at every Application and succeeds when all are ready, returns steps.Wait
// when some are not, and fails for good when an awaited Application turned Degraded.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q (%s): %w: %w", sc.Alias, Name, steps.ErrInvalidConfig, err))
	}
	prefix := fmt.Sprintf("step %q (%s)", sc.Alias, Name)
	c, err := s.clients.Client(ctx, sc.Project)
	if err != nil {
		return steps.Result{}, fmt.Errorf("%s: %w", prefix, err)
	}
	previous := lastHealth(sc.Previous)
	last := map[string]any{}
	refs := []any{}
	var waiting []string
	for i, a := range cfg.Apps {
		apps, err := c.Find(ctx, a.Namespace, a.Name, a.Selector)
		if err != nil {
			return steps.Result{}, fmt.Errorf("%s: %w", prefix, err)
		}
		if a.Selector != nil && len(apps) == 0 {
			return steps.Result{}, fmt.Errorf("%s: config.apps[%d].selector %q matches no Argo CD Application in %s", prefix, i, a.Selector.String(), c.Namespace(a.Namespace))
		}
		waitFor := a.WaitFor
		if len(waitFor) == 0 {
			waitFor = []string{"health", "sync", "operation"}
		}
		for _, app := range apps {
			id := app.Metadata.Namespace + "/" + app.Metadata.Name
			refs = append(refs, map[string]any{"name": app.Metadata.Name, "namespace": app.Metadata.Namespace})
			why, health, err := check(&app, waitFor, previous[id])
			if health != "" {
				last[id] = health
			} else if h, ok := previous[id]; ok {
				last[id] = h
			}
			if err != nil {
				res := steps.Result{Outputs: map[string]any{"apps": refs, "lastHealth": last}}
				return res, steps.Terminal(steps.Reasoned(ReasonDegraded, fmt.Errorf("%s: %w", prefix, err)))
			}
			if why != "" {
				waiting = append(waiting, why)
			}
		}
	}
	res := steps.Result{Outputs: map[string]any{"apps": refs, "lastHealth": last}}
	if len(waiting) > 0 {
		return res, steps.Wait(s.poll, strings.Join(waiting, "; "))
	}
	res.Message = fmt.Sprintf("%d Argo CD Application(s) ready", len(refs))
	return res, nil
}

// check says why app is not ready yet ("" when it is), the health it trusts ("" when it
// trusts none yet), and an error when it turned Degraded from prev while health is awaited.
func check(app *argocd.Application, waitFor []string, prev string) (string, string, error) {
	id := app.Metadata.Namespace + "/" + app.Metadata.Name
	op := app.Status.OperationState
	trusted := op == nil || op.FinishedAt == nil ||
		(app.Status.ReconciledAt != nil && !op.FinishedAt.After(*app.Status.ReconciledAt))
	health := ""
	if trusted {
		health = app.Status.Health.Status
	}
	var not []string
	if slices.Contains(waitFor, "operation") && (app.Operation != nil || (op != nil && !op.Completed())) {
		not = append(not, "an operation is in progress")
	}
	if slices.Contains(waitFor, "sync") && app.Status.Sync.Status != argocd.SyncSynced {
		not = append(not, fmt.Sprintf("sync status is %s", orUnset(app.Status.Sync.Status)))
	}
	wanted := map[string]string{"health": argocd.HealthHealthy, "suspended": argocd.HealthSuspended, "degraded": argocd.HealthDegraded}
	var healths []string
	for _, w := range waitFor {
		if h, ok := wanted[w]; ok {
			healths = append(healths, h)
		}
	}
	if len(healths) > 0 {
		switch {
		case !trusted:
			not = append(not, "not reconciled since its last operation")
		case !slices.Contains(healths, health):
			not = append(not, fmt.Sprintf("health is %s", orUnset(health)))
		}
	}
	if slices.Contains(waitFor, "health") && health == argocd.HealthDegraded && prev != "" &&
		prev != argocd.HealthDegraded && prev != argocd.HealthUnknown && !slices.Contains(healths, argocd.HealthDegraded) {
		msg := app.Status.Health.Message
		return "", health, errors.New("Argo CD Application " + id + " turned Degraded (was " + prev + ")" + suffix(msg))
	}
	if len(not) == 0 {
		return "", health, nil
	}
	return fmt.Sprintf("Argo CD Application %s: %s", id, strings.Join(not, ", ")), health, nil
}

// lastHealth reads the healths remembered in the step's previous output.
func lastHealth(prev map[string]any) map[string]string {
	out := map[string]string{}
	m, _ := prev["lastHealth"].(map[string]any)
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}
