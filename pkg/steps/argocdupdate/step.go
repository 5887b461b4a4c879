package argocdupdate

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
const Name = "argocd-update"

// Kargo's names, so Applications set up for Kargo work unchanged.
const (
	// AnnotationAuthorizedStage lists, comma-separated, the <project>:<stage> pairs allowed
	// to change an Application.
	AnnotationAuthorizedStage = "kargo.akuity.io/authorized-stage"
	// InfoPromotion is the operation info entry that marks a sync as started by a Promotion.
	InfoPromotion = "kargo.akuity.io/promotion"
)

// DefaultPollInterval is how long the step asks to wait before it looks again at a sync in
// progress.
const DefaultPollInterval = 10 * time.Second

// Reasons of the step's results.
const (
	ReasonNotAuthorized = "NotAuthorized"
	ReasonNotFound      = "ApplicationNotFound"
	ReasonSyncFailed    = "SyncFailed"
	ReasonNoSource      = "SourceNotFound"
	ReasonUnauthorized  = "ArgoCDUnauthorized"
)

// Clients gives the Argo CD client of a project; *argocd.Provider is one.
type Clients interface {
	Client(ctx context.Context, project string) (*argocd.Client, error)
}

// Step is the argocd-update step. It is safe for concurrent use.
type Step struct {
	clients Clients
	poll    time.Duration
}

var _ steps.Step = (*Step)(nil)

// New returns the argocd-update step, reaching Argo CD through clients.
func New(clients Clients) *Step { return &Step{clients: clients, poll: DefaultPollInterval} }

// Info names the step: it runs on the argocd executor, never changes the workspace, and
// defaults retry.timeout to 5m (docs/steps/README.md#the-step-object).
func (*Step) Info() steps.Info {
	return steps.Info{Name: Name, Executor: "argocd", ReadOnly: true, DefaultTimeout: 5 * time.Minute}
}

// Run performs one attempt (docs/steps/argocd-update.md): for each Application it waits while another
// operation runs, starts its own sync (after applying the source updates) unless one it
// started already reached the desired revisions, and follows that sync. It returns
// steps.Wait while any sync runs, an error (Errored) when a sync failed or an Application is
// missing, unauthorized or has no matching source, and success, with the health check
// registered as the healthCheck output, when every sync succeeded.
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
	plans, err := s.resolve(ctx, c, sc, cfg)
	if err != nil {
		return steps.Result{}, fmt.Errorf("%s: %w", prefix, classify(err))
	}
	res := steps.Result{Outputs: map[string]any{"apps": appRefs(plans)}}
	var waiting []string
	var errs []error
	for _, p := range plans {
		running, err := s.progress(ctx, c, sc, p)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			errs = append(errs, classify(err))
		case running != "":
			waiting = append(waiting, running)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("%s: %w", prefix, err)
	}
	if len(waiting) > 0 {
		return res, steps.Wait(s.poll, strings.Join(waiting, "; "))
	}
	res.Outputs["healthCheck"] = healthCheck(plans)
	res.Message = fmt.Sprintf("synced %d Argo CD Application(s)", len(plans))
	return res, nil
}

// resolve finds the Applications the config names, checks that the Stage may change them and
// that every update matches a source, before anything is changed.
func (s *Step) resolve(ctx context.Context, c *argocd.Client, sc *steps.Context, cfg Config) ([]*plan, error) {
	var plans []*plan
	for i, a := range cfg.Apps {
		apps, err := c.Find(ctx, a.Namespace, a.Name, a.Selector)
		if err != nil {
			return nil, err
		}
		if a.Selector != nil && len(apps) == 0 {
			return nil, steps.Reasoned(ReasonNotFound, fmt.Errorf("config.apps[%d].selector %q matches no Argo CD Application in %s", i, a.Selector.String(), c.Namespace(a.Namespace)))
		}
		var authorized []argocd.Application
		for _, app := range apps {
			if Authorized(&app, sc.Project, sc.Stage) {
				authorized = append(authorized, app)
			}
		}
		if len(authorized) == 0 {
			what := fmt.Sprintf("Argo CD Application %s/%s is", c.Namespace(a.Namespace), a.Name)
			if a.Selector != nil {
				what = fmt.Sprintf("none of the Argo CD Applications selected by %q is", a.Selector.String())
			}
			return nil, steps.Reasoned(ReasonNotAuthorized, fmt.Errorf("%s not authorized for Stage %s:%s (annotation %s)", what, sc.Project, sc.Stage, AnnotationAuthorizedStage))
		}
		for _, app := range authorized {
			p, err := newPlan(&app, a.Sources)
			if err != nil {
				return nil, steps.Reasoned(ReasonNoSource, err)
			}
			plans = append(plans, p)
		}
	}
	return plans, nil
}

// progress takes one Application one step further. It returns why it waits, or "" when its
// sync is done; an error when the sync failed or a call did.
func (s *Step) progress(ctx context.Context, c *argocd.Client, sc *steps.Context, p *plan) (string, error) {
	app := p.app
	id := app.Metadata.Namespace + "/" + app.Metadata.Name
	op := app.Status.OperationState
	if app.Operation != nil {
		return fmt.Sprintf("Argo CD Application %s has an operation pending", id), nil
	}
	ours := op != nil && op.Operation.InfoValue(InfoPromotion) == sc.Promotion
	if op != nil && !op.Completed() {
		if ours {
			return fmt.Sprintf("Argo CD Application %s is syncing (%s)", id, op.Phase), nil
		}
		return fmt.Sprintf("Argo CD Application %s runs an operation not started by this Promotion", id), nil
	}
	switch {
	case ours && op.Phase != argocd.OperationSucceeded:
		return "", steps.Reasoned(ReasonSyncFailed, fmt.Errorf("sync of Argo CD Application %s ended %s: %s", id, op.Phase, op.Message))
	case ours && op.SyncResult != nil && !p.syncedDiffers(op.SyncResult):
		return "", nil
	}
	// No sync of ours yet, or ours synced another revision than desired: (re)start.
	if err := s.start(ctx, c, sc, p); err != nil {
		if ae := (*argocd.APIError)(nil); errors.As(err, &ae) && ae.StatusCode == 400 && strings.Contains(ae.Message, "in progress") {
			return fmt.Sprintf("Argo CD Application %s runs another operation", id), nil
		}
		return "", err
	}
	return fmt.Sprintf("started a sync of Argo CD Application %s", id), nil
}

// start applies the source updates and asks Argo CD to sync, copying the Application's retry
// policy, sync options and prune setting, and marking the operation as this Promotion's.
func (s *Step) start(ctx context.Context, c *argocd.Client, sc *steps.Context, p *plan) error {
	app := p.app
	if p.changed {
		if err := c.UpdateSpec(ctx, app.Metadata.Name, app.Metadata.Namespace, p.spec); err != nil {
			return fmt.Errorf("update Argo CD Application %s/%s: %w", app.Metadata.Namespace, app.Metadata.Name, err)
		}
		sc.Log.Info("updated Argo CD Application sources", "app", app.Metadata.Namespace+"/"+app.Metadata.Name)
	}
	req := argocd.SyncRequest{
		Name: app.Metadata.Name, AppNamespace: app.Metadata.Namespace,
		Infos: []argocd.Info{
			{Name: "Reason", Value: "Promotion triggered a sync of this Application resource."},
			{Name: InfoPromotion, Value: sc.Promotion},
		},
	}
	if sp := app.Spec.SyncPolicy; sp != nil {
		req.RetryStrategy = sp.Retry
		if len(sp.SyncOptions) > 0 {
			req.SyncOptions = &argocd.SyncOptions{Items: sp.SyncOptions}
		}
		req.Prune = sp.Automated != nil && sp.Automated.Prune
	}
	if p.hasDesired() {
		srcs := rawSources(p.spec)
		if app.Spec.MultiSource() {
			for i, d := range p.desired {
				if d == "" && i < len(srcs) {
					d, _ = srcs[i]["targetRevision"].(string)
				}
				req.Revisions = append(req.Revisions, d)
				req.SourcePositions = append(req.SourcePositions, int64(i+1))
			}
		} else {
			req.Revision = p.desired[0]
		}
	}
	if _, err := c.Sync(ctx, req); err != nil {
		return fmt.Errorf("sync Argo CD Application %s/%s: %w", app.Metadata.Namespace, app.Metadata.Name, err)
	}
	sc.Log.Info("started Argo CD sync", "app", app.Metadata.Namespace+"/"+app.Metadata.Name, "revisions", p.desired)
	return nil
}

// Authorized reports whether app's kargo.akuity.io/authorized-stage annotation lists
// <project>:<stage>. Entries with glob characters never match.
func Authorized(app *argocd.Application, project, stage string) bool {
	want := project + ":" + stage
	for e := range strings.SplitSeq(app.Metadata.Annotations[AnnotationAuthorizedStage], ",") {
		e = strings.TrimSpace(e)
		if e == want && !strings.ContainsAny(e, "*?[") {
			return true
		}
	}
	return false
}

// classify gives a client error its reason.
func classify(err error) error {
	var se *steps.StepError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, argocd.ErrUnauthorized), errors.Is(err, argocd.ErrForbidden):
		return steps.Reasoned(ReasonUnauthorized, err)
	case errors.Is(err, argocd.ErrNotFound):
		return steps.Reasoned(ReasonNotFound, err)
	}
	return err
}

func appRefs(plans []*plan) []any {
	out := make([]any, 0, len(plans))
	for _, p := range plans {
		out = append(out, map[string]any{"name": p.app.Metadata.Name, "namespace": p.app.Metadata.Namespace})
	}
	return out
}

// healthCheck is the check the step registers: the Applications and their desired revisions.
func healthCheck(plans []*plan) map[string]any {
	apps := make([]any, 0, len(plans))
	for _, p := range plans {
		a := map[string]any{"name": p.app.Metadata.Name, "namespace": p.app.Metadata.Namespace}
		if p.hasDesired() {
			a["desiredRevisions"] = slices.Clone(p.desired)
		}
		apps = append(apps, a)
	}
	return map[string]any{"uses": Name, "config": map[string]any{"apps": apps}}
}
