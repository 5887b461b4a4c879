package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestQueuePolicy (docs/resources.md#the-queue): in a paused, auto-promoting Stage a
// person's Promotion queues ahead of an automatic one created before it; a newer candidate
// ends the queued auto-promotion Superseded, which never runs; once resumed, the manual
// Promotion starts first.
func TestQueuePolicy(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putProjectConfig(t, b, autoPromoting("prod"))
	putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Direct: true}))
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "pause"), "pause-1", v1.StageCommand{Stage: "prod", Actor: "email:sre@example.com"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "prod to be paused", func() bool { return stageStatus(t, b, "prod").Paused != nil })
	start := time.Now().Add(-time.Hour)
	newFreight := func(tag string, n int) string {
		at := start.Add(time.Duration(n) * time.Minute)
		name := putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, DiscoveredAt: &at,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		})
		if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+name, "freight/"+name,
			v1.FreightEvent{Project: project, Freight: name, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	queued := func() []v1.PromotionReference { return stageStatus(t, b, "prod").Queued }

	f1 := newFreight("v1", 1)
	waitFor(t, "the auto-promotion of v1 to queue", func() bool { return len(queued()) == 1 })
	auto1 := queued()[0]
	publishPromote(t, ns, "prod", f1)
	waitFor(t, "the manual Promotion to queue", func() bool { return len(queued()) == 2 })
	if q := queued(); q[0].Class != v1.ClassManual || q[1].Name != auto1.Name {
		t.Fatalf("queue = %+v, want the manual Promotion ahead of the automatic one", q)
	}
	manual := queued()[0]

	f2 := newFreight("v2", 2)
	waitFor(t, "v1's auto-promotion to be superseded", func() bool {
		p, err := store.Promotion(t.Context(), b, project, auto1.Name)
		return err == nil && p.Status.Phase == v1.PhaseSuperseded
	})
	p, err := store.Promotion(t.Context(), b, project, auto1.Name)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.StartedAt != nil || p.Status.Message != "superseded by the auto-promotion of Freight "+f2 {
		t.Errorf("superseded Promotion: started %v, message %q; want never started, superseded by %s", p.Status.StartedAt, p.Status.Message, f2)
	}
	waitFor(t, "the queue to hold the manual Promotion, then v2's", func() bool {
		q := queued()
		return len(q) == 2 && q[0].Name == manual.Name && q[1].Freight == f2 && q[1].Class == v1.ClassAuto
	})
	auto2 := queued()[1]

	if err := b.Publish(t.Context(), bus.CommandSubject(project, "resume"), "resume-1", v1.StageCommand{Stage: "prod"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both to succeed", func() bool {
		for _, name := range []string{manual.Name, auto2.Name} {
			if p, err := store.Promotion(t.Context(), b, project, name); err != nil || p.Status.Phase != v1.PhaseSucceeded {
				return false
			}
		}
		return true
	})
	var startedOrder []string
	superseded := 0
	for _, e := range events(t, b, project) {
		var d v1.PromotionEvent
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		switch e.Type {
		case v1.TypePromotionStarted:
			startedOrder = append(startedOrder, d.Promotion)
		case v1.TypePromotionSuperseded:
			superseded++
		}
	}
	if len(startedOrder) < 2 || startedOrder[0] != manual.Name || startedOrder[1] != auto2.Name {
		t.Errorf("started %v, want %s then %s; the superseded %s never", startedOrder, manual.Name, auto2.Name, auto1.Name)
	}
	for _, name := range startedOrder {
		if name == auto1.Name {
			t.Errorf("the superseded Promotion %s started", name)
		}
	}
	if superseded != 1 {
		t.Errorf("%d promotion.superseded events, want 1", superseded)
	}
}

// TestScheduledPromotion (docs/resources.md#the-queue): a promote command with after (dray
// promote --at) creates the Promotion at once; it waits in the queue, saying until when, and
// starts on its own once the time comes.
func TestScheduledPromotion(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	putResource(t, b, project, v1.KindStage, "prod", verifyingStage("prod", v1.FreightSources{Direct: true}))
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}},
	})
	after := time.Now().Add(3 * time.Second).Truncate(time.Second).UTC()
	cmd := v1.PromoteCommand{Stage: "prod", Freight: f, Actor: "email:ops@example.com", ID: "nightly", After: &after}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "promote"), "promote/nightly", cmd); err != nil {
		t.Fatal(err)
	}
	want := "is scheduled for " + after.Format(time.RFC3339)
	var queued string
	waitFor(t, "the scheduled Promotion to wait in the queue", func() bool {
		st := stageStatus(t, b, "prod")
		if len(st.Queued) == 1 {
			queued = st.Queued[0].Name
		}
		return queued != "" && strings.Contains(st.Waiting, want)
	})
	waitFor(t, "the scheduled Promotion to succeed", func() bool {
		p, err := store.Promotion(t.Context(), b, project, queued)
		return err == nil && p.Status.Phase == v1.PhaseSucceeded
	})
	p, err := store.Promotion(t.Context(), b, project, queued)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.StartedAt == nil || p.Status.StartedAt.Before(after) || p.Metadata.Annotations[v1.AnnotationPromoteAfter] != after.Format(time.RFC3339) {
		t.Errorf("scheduled Promotion started at %v (annotation %q), want not before %s", p.Status.StartedAt, p.Metadata.Annotations[v1.AnnotationPromoteAfter], after)
	}
}

// TestAutoPromotionRateLimit (docs/resources.md#auto-promotion): with
// autoPromotionMinInterval, new Freight that arrives within the interval of prod's last
// auto-promotion is not promoted there at once (a witness Stage without a limit takes it), and
// prod takes it by itself once the interval has passed.
func TestAutoPromotionRateLimit(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	const interval = 4 * time.Second
	putProjectConfig(t, b, v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{
		{Stage: "prod", AutoPromotionEnabled: true, AutoPromotionMinInterval: interval.String()},
		{Stage: "witness", AutoPromotionEnabled: true},
	}})
	for _, name := range []string{"prod", "witness"} {
		putResource(t, b, project, v1.KindStage, name, verifyingStage(name, v1.FreightSources{Direct: true}))
	}
	start := time.Now().Add(-time.Hour)
	newFreight := func(tag string, n int) string {
		at := start.Add(time.Duration(n) * time.Minute)
		name := putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, DiscoveredAt: &at,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		})
		if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+name, "freight/"+name,
			v1.FreightEvent{Project: project, Freight: name, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	holds := func(stage, f string) func() bool {
		return func() bool {
			s := stageStatus(t, b, stage)
			return len(s.FreightHistory) > 0 && s.FreightHistory[0].Freight == f && s.CurrentPromotion == nil && len(s.Queued) == 0
		}
	}

	f1 := newFreight("v1", 1)
	waitFor(t, "prod to take v1", holds("prod", f1))
	first := stageStatus(t, b, "prod").LastAutoPromotionAt
	if first == nil {
		t.Fatal("prod records no lastAutoPromotionAt after an auto-promotion")
	}
	f2 := newFreight("v2", 2)
	waitFor(t, "the witness to take v2", holds("witness", f2))
	if s := stageStatus(t, b, "prod"); time.Now().Before(first.Add(interval)) && (s.FreightHistory[0].Freight != f1 || s.CurrentPromotion != nil || len(s.Queued) != 0) {
		t.Fatalf("prod within its interval: holds %s, running %v, queued %v; want v1 and nothing on its way", s.FreightHistory[0].Freight, s.CurrentPromotion, s.Queued)
	}
	waitFor(t, "prod to take v2 once its interval has passed", holds("prod", f2))
	second := stageStatus(t, b, "prod").LastAutoPromotionAt
	if second == nil || second.Sub(*first) < interval {
		t.Errorf("prod's auto-promotions were created at %v and %v, less than %s apart", first, second, interval)
	}
}
