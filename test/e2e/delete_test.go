package e2e_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// TestDeleteStageWithRunningPromotion: deleting a Stage while its Promotion runs aborts that
// Promotion (the executor cancels the running step), deletes it, takes the Stage out of its
// Freight's status and drops the Stage's status; a record that arrives for the deleted Stage
// afterwards does not bring its status back.
func TestDeleteStageWithRunningPromotion(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	route := func(uses string) (string, bool) {
		if uses == "hold" || uses == "count" {
			return "test", true
		}
		return scheduler.Route(uses)
	}
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{Route: route}, d)
	})
	hold := &holdStep{started: make(chan struct{}), release: make(chan struct{}), cancelled: make(chan struct{})}
	defer close(hold.release)
	opts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-test", func(ctx context.Context, d service.Deps) error {
		reg, err := steps.NewRegistry(hold, &countStep{})
		if err != nil {
			return err
		}
		return executor.Run(ctx, opts, executor.Deps{Name: "test", Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
	})
	putResource(t, b, project, v1.KindStage, "dev", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec: v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
			{Uses: "hold", As: "wait"},
		}}}},
	})
	now := time.Now().UTC()
	held := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}},
		Status: v1.FreightStatus{
			CurrentlyIn: map[string]v1.CurrentStage{"dev": {Since: &now}, "prod": {Since: &now}},
			VerifiedIn:  map[string]v1.VerifiedStage{"dev": {VerifiedAt: &now}},
			ApprovedFor: map[string]v1.ApprovedStage{"dev": {ApprovedAt: &now}},
		},
	})
	next := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v2"}},
	})
	publishPromote(t, ns, "dev", next)
	select {
	case <-hold.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the hold step never started")
	}
	running := waitPromotions(t, b)[0].Metadata.Name

	// What the gateway does for DELETE …/stages/dev: delete the resource, then the record.
	if err := b.Resources.Delete(t.Context(), bus.ResourceKey(project, v1.KindStage, "dev")); err != nil {
		t.Fatal(err)
	}
	rec := v1.StageRecord{Op: v1.StageDelete, Project: project, Stage: "dev", Actor: "email:ops@example.com"}
	if err := b.Publish(t.Context(), bus.StageRecordSubject(project), "demo/dev/delete/1", &rec); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.cancelled: // the Promotion was aborted: the executor stopped its step
	case <-time.After(30 * time.Second):
		t.Fatal("the running step was not cancelled when its Stage was deleted")
	}
	waitFor(t, "the deleted Stage's Promotions and status to go", func() bool {
		ps, err := listPromotions(t, b)
		_, serr := b.Stages.Get(t.Context(), bus.Key(project, "dev"))
		return err == nil && len(ps) == 0 && errors.Is(serr, jetstream.ErrKeyNotFound)
	})
	counts := countTypes(t, events(t, b, project))
	if counts[v1.TypePromotionAborted] != 1 {
		t.Errorf("events = %v, want the running Promotion %s aborted once", counts, running)
	}
	var f v1.Freight
	if _, err := b.GetJSON(t.Context(), b.Freight, bus.Key(project, held), &f); err != nil {
		t.Fatal(err)
	}
	if _, in := f.Status.CurrentlyIn["dev"]; in || f.Status.VerifiedIn["dev"].VerifiedAt != nil || f.Status.ApprovedFor["dev"].ApprovedAt != nil {
		t.Errorf("freight status = %+v, want dev forgotten", f.Status)
	}
	if _, in := f.Status.CurrentlyIn["prod"]; !in {
		t.Errorf("freight status = %+v, want prod kept", f.Status)
	}

	// A record that comes late for the deleted Stage finds no status to create.
	late := v1.StageRecord{Op: v1.StagePause, Project: project, Stage: "dev", Actor: "email:ops@example.com", Reason: "late"}
	if err := b.Publish(t.Context(), bus.StageRecordSubject(project), "demo/dev/pause/late", &late); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the state service to take the late record", func() bool {
		c, err := b.JS.Consumer(t.Context(), bus.StreamResults, "state")
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	if _, err := b.Stages.Get(t.Context(), bus.Key(project, "dev")); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("status of the deleted Stage after a late record: %v, want none", err)
	}
}
