package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/window"
)

// ErrRejected marks a request that can never succeed as sent: an unknown Stage or Freight, a
// Stage without steps. It is answered, not retried.
var ErrRejected = errors.New("rejected")

// Build creates the Promotion a promote command asks for, from the Stage and Freight stored
// now. Errors that wrap ErrRejected (unknown Stage or Freight, a Stage without steps) can
// never succeed; others are transient. The
// scheduler calls it for every command; the gateway calls it to reject bad requests at once.
func Build(ctx context.Context, b *bus.Bus, cmd *v1.PromoteCommand) (*v1.Promotion, error) {
	stage, err := store.Stage(ctx, b, cmd.Project, cmd.Stage)
	if err != nil {
		return nil, rejectIfNotFound(err)
	}
	freight, err := store.Freight(ctx, b, cmd.Project, cmd.Freight)
	if err != nil {
		return nil, rejectIfNotFound(err)
	}
	if !pipeline.Promotable(stage) {
		return nil, fmt.Errorf("%w: Stage %q has no promotion steps: it is a control-flow Stage and cannot be promoted to", ErrRejected, cmd.Stage)
	}
	if ok, why := pipeline.Available(stage, freight, time.Now()); !ok {
		return nil, fmt.Errorf("%w: %s", ErrRejected, why)
	}
	override, closedBecause, err := windowOverride(ctx, b, stage, cmd)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if cmd.RequestedAt != nil {
		now = *cmd.RequestedAt
	}
	at := now // the time in the Promotion's name
	if cmd.RequestedAt == nil && cmd.ID != "" && freight.DiscoveredAt != nil {
		// The sender's idempotency key alone must give the same name, so that the same
		// request sent twice is one Promotion.
		at = *freight.DiscoveredAt
	}
	collection, err := Collection(ctx, b, cmd.Project, stage, freight.Origin)
	if err != nil {
		return nil, err
	}
	p, err := promotion.New(promotion.Request{
		Project: cmd.Project, Stage: stage, Freight: freight, Actor: cmd.Actor, Now: now, Collection: collection,
		Name: promotion.Name(cmd.Stage, freight.Metadata.Name, cmd.ID, at),
		Tasks: func(ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error) {
			return store.Task(ctx, b, cmd.Project, ref)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	if err := customDefaults(ctx, b, cmd.Project, p); err != nil {
		return nil, err
	}
	if override != "" || cmd.After != nil {
		if p.Metadata.Annotations == nil {
			p.Metadata.Annotations = map[string]string{}
		}
	}
	if override != "" {
		p.Metadata.Annotations[v1.AnnotationWindowOverride] = override
		p.Metadata.Annotations[v1.AnnotationWindowOverrideReason] = closedBecause
	}
	if cmd.After != nil {
		p.Metadata.Annotations[v1.AnnotationPromoteAfter] = cmd.After.UTC().Format(time.RFC3339)
	}
	return p, nil
}

// Collection returns the Freight stage holds besides that of origin, one per origin, as they
// are now: with the promoted Freight, the Freight collection a Promotion's expressions search.
// Freight deleted since is left out.
func Collection(ctx context.Context, b *bus.Bus, project string, stage *v1.Stage, origin v1.FreightOrigin) ([]v1.Freight, error) {
	var out []v1.Freight
	for _, h := range pipeline.Current(stage.Status.FreightHistory) {
		if h.Origin.Name == "" || pipeline.SameOrigin(h.Origin, origin) {
			continue
		}
		f, err := store.Freight(ctx, b, project, h.Freight)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *f)
	}
	return out, nil
}

// windowOverride applies the Stage's promotion windows to a promote request. Outside them, a
// person's request is rejected unless it asks to override, and then the override is
// recorded: the returned actor, and why the windows were closed; auto-promotions,
// auto-rollbacks and scheduled Promotions are created and wait in the queue.
func windowOverride(ctx context.Context, b *bus.Bus, stage *v1.Stage, cmd *v1.PromoteCommand) (actor, reason string, err error) {
	ws, err := store.Windows(ctx, b, cmd.Project, stage)
	if err != nil {
		return "", "", err
	}
	check, err := window.Evaluate(ws, time.Now())
	if err != nil {
		return "", "", fmt.Errorf("%w: Stage %q: %v", ErrRejected, cmd.Stage, err)
	}
	switch {
	case !check.Closed || cmd.Actor == v1.ActorAutoPromotion || cmd.Actor == v1.ActorAutoRollback || cmd.After != nil:
		return "", "", nil
	case !cmd.OverrideWindow:
		return "", "", fmt.Errorf("%w: Stage %q is outside its promotion windows: %s; promote with --override-window to start it anyway (the override is recorded)",
			ErrRejected, cmd.Stage, check.Reason)
	case cmd.Actor == "":
		return "unknown", check.Reason, nil
	}
	return cmd.Actor, check.Reason, nil
}

// Rollback builds the auto-rollback Promotion that returns Stage stage to freight, its last
// stable Freight, after Promotion or verification run failed failed
// (docs/resources.md#auto-rollback): a Promotion by v1.ActorAutoRollback annotated
// v1.AnnotationRollback "true", named after failed, so building it twice gives one. Errors
// are those of Build.
func Rollback(ctx context.Context, b *bus.Bus, project, stage, freight, failed string) (*v1.Promotion, error) {
	p, err := Build(ctx, b, &v1.PromoteCommand{Project: project, Stage: stage, Freight: freight,
		Actor: v1.ActorAutoRollback, ID: "rollback/" + failed})
	if err != nil {
		return nil, err
	}
	if p.Metadata.Annotations == nil {
		p.Metadata.Annotations = map[string]string{}
	}
	p.Metadata.Annotations[v1.AnnotationRollback] = "true"
	return p, nil
}

func rejectIfNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return err
}

// IsRejected reports whether err means a request can never succeed as sent.
func IsRejected(err error) bool { return errors.Is(err, ErrRejected) }

// Verification builds the run of Stage stage's verification steps for its Freight (name or
// alias): a Promotion of those steps, marked with v1.AnnotationVerifies = verifies. key and
// at make its name, so building it twice for the same cause gives one run. It is rejected
// when the Stage has no verification steps.
func Verification(ctx context.Context, b *bus.Bus, project, stageName, freightName, verifies, actor, key string, at time.Time) (*v1.Promotion, error) {
	stage, err := store.Stage(ctx, b, project, stageName)
	if err != nil {
		return nil, rejectIfNotFound(err)
	}
	if !HasVerificationSteps(stage) {
		return nil, fmt.Errorf("%w: Stage %q has no verification steps", ErrRejected, stageName)
	}
	freight, err := store.Freight(ctx, b, project, freightName)
	if err != nil {
		return nil, rejectIfNotFound(err)
	}
	verifying := *stage
	tmpl := v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: stage.Spec.Verification.Steps}}
	if stage.Spec.PromotionTemplate != nil {
		tmpl.Spec.Vars = stage.Spec.PromotionTemplate.Spec.Vars
	}
	verifying.Spec.PromotionTemplate = &tmpl
	collection, err := Collection(ctx, b, project, stage, freight.Origin)
	if err != nil {
		return nil, err
	}
	p, err := promotion.New(promotion.Request{
		Project: project, Stage: &verifying, Freight: freight, Actor: actor, Now: time.Now(), Collection: collection,
		Name: promotion.Name(stageName, freight.Metadata.Name, "verify/"+key, at),
		Tasks: func(ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error) {
			return store.Task(ctx, b, project, ref)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: verification of Stage %q: %v", ErrRejected, stageName, err)
	}
	if err := customDefaults(ctx, b, project, p); err != nil {
		return nil, err
	}
	if p.Metadata.Annotations == nil {
		p.Metadata.Annotations = map[string]string{}
	}
	p.Metadata.Annotations[v1.AnnotationVerifies] = verifies
	return p, nil
}

// HasVerificationSteps reports whether Stage s verifies its Freight with steps.
func HasVerificationSteps(s *v1.Stage) bool {
	return s.Spec.Verification != nil && len(s.Spec.Verification.Steps) > 0
}

// customDefaults gives each step of a CustomPromotionStep kind that sets no retry the kind's
// defaultTimeout and defaultErrorThreshold, recorded in the Promotion's spec.
func customDefaults(ctx context.Context, b *bus.Bus, project string, p *v1.Promotion) error {
	for i := range p.Spec.Steps {
		s := &p.Spec.Steps[i]
		if _, builtin := steps.ExecutorFor(s.Uses); builtin || s.Uses == "" {
			continue
		}
		cs, err := store.CustomStep(ctx, b, project, s.Uses)
		if err != nil {
			return err
		}
		if cs == nil || cs.Spec.DefaultTimeout == "" && cs.Spec.DefaultErrorThreshold == 0 {
			continue
		}
		r := v1.PromotionStepRetry{}
		if s.Retry != nil {
			r = *s.Retry
		}
		if r.Timeout == "" {
			r.Timeout = cs.Spec.DefaultTimeout
		}
		if r.ErrorThreshold == 0 {
			r.ErrorThreshold = cs.Spec.DefaultErrorThreshold
		}
		s.Retry = &r
	}
	return nil
}
