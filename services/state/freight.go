package state

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
)

// received records that p's Freight is now in p's Stage (RESOURCES.md §3.3): the Freight it
// replaces leaves the Stage, keeping its longest soak; the new one is currentlyIn the Stage
// from when p finished; the Stage's history gains p.
func (s *state) received(ctx context.Context, p *v1.Promotion) error {
	project, stage, name := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	at := time.Now().UTC()
	if p.Status.FinishedAt != nil {
		at = *p.Status.FinishedAt
	}
	var previous string
	var alias string
	if f, err := store.Freight(ctx, s.Bus, project, name); err == nil {
		alias = f.Alias
	}
	err := s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
		for _, h := range st.FreightHistory {
			if h.Promotion == p.Metadata.Name {
				if len(st.FreightHistory) > 1 && st.FreightHistory[0].Promotion == p.Metadata.Name {
					previous = st.FreightHistory[1].Freight
				}
				return false // recorded before a crash
			}
		}
		if len(st.FreightHistory) > 0 {
			previous = st.FreightHistory[0].Freight
		}
		entry := v1.StageHistoryEntry{Freight: name, Alias: alias, Promotion: p.Metadata.Name, Actor: promotion.Actor(p), Since: &at}
		st.FreightHistory = append([]v1.StageHistoryEntry{entry}, st.FreightHistory...)
		if len(st.FreightHistory) > v1.MaxStageHistory {
			st.FreightHistory = st.FreightHistory[:v1.MaxStageHistory]
		}
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

// verify runs the Stage's verification of the Freight p delivered. A Stage without
// verification verifies it at once (RESOURCES.md §4.6); Kargo's AnalysisTemplates are
// accepted in manifests but Dray cannot run them yet, which is said on the Stage and in a
// freight.verification.failed event rather than ignored.
func (s *state) verify(ctx context.Context, p *v1.Promotion) error {
	project, stage, name := p.Metadata.Namespace, p.Spec.Stage, p.Spec.Freight
	st, err := store.Stage(ctx, s.Bus, project, stage)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the Stage was deleted since
	}
	if err != nil {
		return err
	}
	f, err := store.Freight(ctx, s.Bus, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ev := v1.FreightEvent{Project: project, Freight: name, Alias: f.Alias, Origin: f.Origin, Stage: stage}
	if v := st.Spec.Verification; v != nil && len(v.AnalysisTemplates) > 0 {
		ev.Message = "Stage " + stage + " verifies with AnalysisTemplates, which Dray cannot run yet: the Freight is not " +
			"verified there. Remove spec.verification, or approve the Freight for the next Stages (dray approve)."
		if err := s.updateStage(ctx, project, stage, func(st *v1.StageStatus) bool {
			if st.Verification == ev.Message {
				return false
			}
			st.Verification = ev.Message
			return true
		}); err != nil {
			return err
		}
		return s.Bus.PublishEvent(ctx, project, v1.TypeFreightVerificationFailed,
			p.Metadata.Name+"/verification-failed", "freight/"+name, ev)
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
	return s.Bus.PublishEvent(ctx, project, v1.TypeFreightVerified, project+"/"+name+"/verified/"+stage, "freight/"+name, ev)
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
	return s.Bus.PublishEvent(ctx, r.Project, v1.TypeFreightApproved, r.Project+"/"+r.Freight+"/approved/"+r.Stage, "freight/"+r.Freight, ev)
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
