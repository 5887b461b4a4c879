package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
)

// received records that p's Freight is now in p's Stage sp (docs/resources.md#freight-status): the Freight of
// the same origin it replaces leaves the Stage, keeping its longest soak (a Stage holds one
// Freight per origin it requests); the new one is currentlyIn the Stage from when p finished;
// the Stage's history gains p, and its freightSummary says what it holds.
func (s *state) received(ctx context.Context, p *v1.Promotion, sp *v1.Stage) error {
	project, stage, name := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	at := time.Now().UTC()
	if p.Status.FinishedAt != nil {
		at = *p.Status.FinishedAt
	}
	var alias string
	var origin v1.FreightOrigin
	if f := p.Status.Freight; f != nil {
		alias, origin = f.Alias, f.Origin
	}
	requested := 1
	if sp != nil {
		requested = max(len(sp.Spec.RequestedFreight), 1)
	}
	var previous string
	err := s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
		previous = ""
		held := false
		for _, h := range st.FreightHistory {
			if h.Promotion == p.Metadata.Name {
				held = true // recorded before a crash; find what it replaced below
				continue
			}
			if sameOrigin(h.Origin, origin) {
				previous = h.Freight
				break
			}
		}
		if held {
			return false
		}
		entry := v1.StageHistoryEntry{Freight: name, Origin: origin, Alias: alias, Promotion: p.Metadata.Name, Actor: promotion.Actor(p), Since: &at}
		st.FreightHistory = append([]v1.StageHistoryEntry{entry}, st.FreightHistory...)
		if len(st.FreightHistory) > v1.MaxStageHistory {
			st.FreightHistory = st.FreightHistory[:v1.MaxStageHistory]
		}
		st.FreightSummary = summary(st.FreightHistory, requested)
		st.Verification = ""
		return true
	})
	if err != nil {
		return err
	}
	if previous != "" && previous != name {
		err := s.freightStatus(ctx, project, previous, func(fs *v1.FreightStatus) {
			c, in := fs.CurrentlyIn[stage]
			if !in {
				return
			}
			delete(fs.CurrentlyIn, stage)
			if v, ok := fs.VerifiedIn[stage]; ok && c.Since != nil {
				longest, _ := time.ParseDuration(v.LongestSoak)
				if soaked := at.Sub(*c.Since); soaked > longest {
					v.LongestSoak = soaked.Round(time.Second).String()
					fs.VerifiedIn[stage] = v
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return s.freightStatus(ctx, project, name, func(fs *v1.FreightStatus) {
		if _, in := fs.CurrentlyIn[stage]; in {
			return
		}
		if fs.CurrentlyIn == nil {
			fs.CurrentlyIn = map[string]v1.CurrentStage{}
		}
		fs.CurrentlyIn[stage] = v1.CurrentStage{Since: &at}
	})
}

// summary is a Stage's freightSummary (docs/resources.md#stage-status): the Freight's name when it
// requests one origin, else "<held>/<requested> Fulfilled".
func summary(history []v1.StageHistoryEntry, requested int) string {
	var held []v1.FreightOrigin
	for _, h := range history {
		if !slices.ContainsFunc(held, func(o v1.FreightOrigin) bool { return sameOrigin(o, h.Origin) }) {
			held = append(held, h.Origin)
		}
	}
	if requested == 1 && len(history) > 0 {
		return history[0].Freight
	}
	return fmt.Sprintf("%d/%d Fulfilled", min(len(held), requested), requested)
}

// sameOrigin compares origins; an empty one (history recorded before origins were) matches
// any.
func sameOrigin(a, b v1.FreightOrigin) bool {
	return a.Name == "" || b.Name == "" || pipeline.SameOrigin(a, b)
}

// verify runs the Stage's verification of the Freight that p, a successful Promotion,
// delivered or verified (docs/resources.md#verification):
//   - p is itself a verification run: the Freight is verified in the Stage;
//   - the Stage verifies with steps: their run is created ahead of the Stage's queue, so no
//     other Promotion starts before it ends;
//   - the Stage verifies with Kargo's AnalysisTemplates, which Dray cannot run yet: that is
//     said on the Stage and in a freight.verification.failed event rather than ignored;
//   - the Stage has no verification: the Freight is verified at once.
func (s *state) verify(ctx context.Context, p *v1.Promotion, st *v1.Stage) error {
	project, stage, name := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	if st == nil {
		return nil // the Stage was deleted since
	}
	_, isRun := p.Metadata.Annotations[v1.AnnotationVerifies]
	switch v := st.Spec.Verification; {
	case !isRun && promote.HasVerificationSteps(st):
		at := time.Now()
		if p.Status.FinishedAt != nil {
			at = *p.Status.FinishedAt
		}
		run, err := promote.Verification(ctx, s.Bus, project, stage, name, p.Metadata.Name, "", p.Metadata.Name, at)
		if promote.IsRejected(err) {
			return s.verificationFailed(ctx, p, "the verification cannot run: "+err.Error())
		}
		if err != nil {
			return err
		}
		return s.create(ctx, &v1.PromotionRecord{Op: v1.RecordCreate, Project: project, Name: run.Metadata.Name, Promotion: run, Front: true})
	case !isRun && v != nil && len(v.AnalysisTemplates) > 0:
		return s.verificationFailed(ctx, p, "Stage "+stage+" verifies with AnalysisTemplates, which Dray cannot run yet: the "+
			"Freight is not verified there. Verify with spec.verification.steps instead, or approve the Freight for the next "+
			"Stages (dray approve).")
	}
	f, err := store.Freight(ctx, s.Bus, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := s.freightStatus(ctx, project, name, func(fs *v1.FreightStatus) {
		if _, ok := fs.VerifiedIn[stage]; ok {
			return // never overwritten once set
		}
		if fs.VerifiedIn == nil {
			fs.VerifiedIn = map[string]v1.VerifiedStage{}
		}
		fs.VerifiedIn[stage] = v1.VerifiedStage{VerifiedAt: &now}
	}); err != nil {
		return err
	}
	if err := s.setVerification(ctx, project, stage, ""); err != nil {
		return err
	}
	// The event is this verification's: its ID names p, the Promotion or verification run
	// that verified the Freight, so a re-verification is announced again while a
	// redelivered record re-sends the same event (pkg/bus/README.md).
	ev := v1.FreightEvent{Project: project, Freight: name, Alias: f.Alias, Origin: f.Origin, Stage: stage}
	return s.Bus.PublishEvent(ctx, project, v1.TypeFreightVerified, p.Metadata.Name+"/freight-verified", "freight/"+name, ev)
}

// waitingForHealth is the Stage's verification message while VerifyWhenHealthy is set.
const waitingForHealth = "waiting for the Stage to be Healthy before verifying"

// awaitHealth records that the verification after p, a successful Promotion that registered
// health checks, waits for the Stage to be Healthy; the scheduler sends a healthy record
// when it is.
func (s *state) awaitHealth(ctx context.Context, p *v1.Promotion) error {
	return s.updateStage(ctx, p.Metadata.Namespace, p.Spec.Stage, func(st *v1.StageStatus) bool {
		if st.VerifyWhenHealthy == p.Metadata.Name && st.Verification == waitingForHealth {
			return false
		}
		st.VerifyWhenHealthy, st.Verification = p.Metadata.Name, waitingForHealth
		return true
	})
}

// healthy runs the verification that waits for the Stage to be Healthy, when the Stage is
// Healthy and still holds the Freight that Promotion delivered; then it clears the wait. A
// record that comes when nothing waits, or before the Stage is Healthy, changes nothing. The
// verification is started before the wait is cleared, so a crash between repeats it, which
// is idempotent.
func (s *state) healthy(ctx context.Context, r *v1.StageRecord) error {
	var st v1.StageStatus
	if _, err := s.Bus.GetJSON(ctx, s.Bus.Stages, bus.Key(r.Project, r.Stage), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	waiting := st.VerifyWhenHealthy
	if waiting == "" || st.Health == nil || st.Health.Status != v1.HealthHealthy {
		return nil
	}
	if len(st.FreightHistory) > 0 && st.FreightHistory[0].Promotion == waiting {
		p, err := store.Promotion(ctx, s.Bus, r.Project, waiting)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		stage, err := store.Stage(ctx, s.Bus, r.Project, r.Stage)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if p != nil && stage != nil {
			if err := s.verify(ctx, p, stage); err != nil {
				return err
			}
		}
	}
	return s.updateStage(ctx, r.Project, r.Stage, func(st *v1.StageStatus) bool {
		if st.VerifyWhenHealthy != waiting {
			return false
		}
		st.VerifyWhenHealthy = ""
		if st.Verification == waitingForHealth {
			st.Verification = ""
		}
		return true
	})
}

// verificationFailed says on the Stage and in a freight.verification.failed event why the
// Freight p is about was not verified.
func (s *state) verificationFailed(ctx context.Context, p *v1.Promotion, why string) error {
	project, stage, name := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	if err := s.setVerification(ctx, project, stage, why); err != nil {
		return err
	}
	ev := v1.FreightEvent{Project: project, Freight: name, Stage: stage, Message: why}
	if f, err := store.Freight(ctx, s.Bus, project, name); err == nil {
		ev.Alias, ev.Origin = f.Alias, f.Origin
	}
	return s.Bus.PublishEvent(ctx, project, v1.TypeFreightVerificationFailed, p.Metadata.Name+"/verification-failed", "freight/"+name, ev)
}

func (s *state) setVerification(ctx context.Context, project, stage, msg string) error {
	return s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
		if st.Verification == msg {
			return false
		}
		st.Verification = msg
		return true
	})
}

// approve records an approval of a Freight for a Stage and announces it. The first approval
// is kept; a repeated one changes nothing and re-sends the event with the same ID.
func (s *state) approve(ctx context.Context, r *v1.FreightRecord) error {
	at := time.Now().UTC()
	if r.At != nil {
		at = r.At.UTC()
	}
	err := s.freightStatus(ctx, r.Project, r.Freight, func(fs *v1.FreightStatus) {
		if _, ok := fs.ApprovedFor[r.Stage]; ok {
			return
		}
		if fs.ApprovedFor == nil {
			fs.ApprovedFor = map[string]v1.ApprovedStage{}
		}
		fs.ApprovedFor[r.Stage] = v1.ApprovedStage{ApprovedAt: &at, By: r.Actor, Reason: r.Reason}
	})
	if err != nil {
		return err
	}
	f, err := store.Freight(ctx, s.Bus, r.Project, r.Freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since; freightStatus said so
	}
	if err != nil {
		return err
	}
	a := f.Status.ApprovedFor[r.Stage]
	s.Log.Info("freight approved", "project", r.Project, "freight", r.Freight, "stage", r.Stage, "by", a.By)
	ev := v1.FreightEvent{Project: r.Project, Freight: r.Freight, Alias: f.Alias, Origin: f.Origin, Stage: r.Stage,
		Actor: a.By, Message: a.Reason}
	// The ID names the approval on record (its time), so a repeated approval re-sends it
	// while a Freight approved anew (recreated since) is announced again.
	id := r.Project + "/" + r.Freight + "/approved/" + r.Stage
	if a.ApprovedAt != nil {
		id += "/" + strconv.FormatInt(a.ApprovedAt.UnixNano(), 10)
	}
	return s.Bus.PublishEvent(ctx, r.Project, v1.TypeFreightApproved, id, "freight/"+r.Freight, ev)
}

// freightStatus applies change to a Freight's status with compare-and-set; a Freight that no
// longer exists is skipped.
func (s *state) freightStatus(ctx context.Context, project, name string, change func(*v1.FreightStatus)) error {
	err := s.updateFreight(ctx, bus.Key(project, name), func(f *v1.Freight) { change(&f.Status) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		s.Log.Warn("freight status not recorded: no such freight", "project", project, "freight", name)
		return nil
	}
	return err
}
