package e2e_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestWindowCloseDiscards (docs/resources.md#promotion-windows): when a Deny window begins,
// the Promotions queued in a Stage are discarded — Aborted, announced with
// promotion.discarded — while the one running goes on; a window with keepPending keeps them
// queued. The Stage that keeps its queue closes two seconds before the other, so by the time
// the discard is seen its timer has run too.
func TestWindowCloseDiscards(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	now := time.Now().UTC().Truncate(time.Second)
	freeze := func(at time.Time, keep bool) []v1.PromotionWindow {
		return []v1.PromotionWindow{{Name: "freeze", Kind: "Deny", KeepPending: keep,
			DTStart: at.Format("20060102T150405Z"), DTEnd: at.Add(time.Hour).Format("20060102T150405Z")}}
	}
	for name, w := range map[string][]v1.PromotionWindow{"keeps": freeze(now.Add(4*time.Second), true), "prod": freeze(now.Add(6*time.Second), false)} {
		putResource(t, b, project, v1.KindStage, name, v1.Stage{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
			Metadata: v1.ObjectMeta{Name: name, Namespace: project},
			Spec: v1.StageSpec{RequestedFreight: direct, PromotionWindows: w, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{
				Steps: []v1.PromotionStep{{Uses: "wait-for-approval", As: "hold", Config: map[string]any{ // keeps the first one running
					"approvers": map[string]any{"claims": map[string]any{"groups": []any{"nobody"}}}}}}}}},
		})
	}
	put := func(tag string) string {
		return putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}}})
	}
	f1, f2 := put("v1"), put("v2")
	for _, s := range []string{"keeps", "prod"} {
		publishPromote(t, ns, s, f1)
		waitFor(t, s+"'s first Promotion to run", func() bool { st := stageStatus(t, b, s); return st.CurrentPromotion != nil })
		publishPromote(t, ns, s, f2)
		waitFor(t, s+"'s second Promotion to queue", func() bool { return len(stageStatus(t, b, s).Queued) == 1 })
	}
	queued := map[string]string{"keeps": stageStatus(t, b, "keeps").Queued[0].Name, "prod": stageStatus(t, b, "prod").Queued[0].Name}
	phase := func(name string) *v1.Promotion {
		p, err := store.Promotion(t.Context(), b, project, name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	discardedEvents := func() int {
		n := 0
		for _, e := range events(t, b, project) {
			if e.Type == v1.TypePromotionDiscarded {
				n++
			}
		}
		return n
	}
	// The discard ends the Promotion, then takes it out of the queue, then announces it.
	waitFor(t, "prod's queued Promotion to be discarded when the freeze begins", func() bool {
		return phase(queued["prod"]).Status.Finished() && len(stageStatus(t, b, "prod").Queued) == 0 && discardedEvents() > 0
	})
	if p := phase(queued["prod"]); p.Status.Phase != v1.PhaseAborted || !strings.Contains(p.Status.Message, `discarded: the Stage's promotion windows closed (deny window "freeze" is open until`) {
		t.Errorf("discarded Promotion: %s %q, want Aborted saying the freeze discarded it", p.Status.Phase, p.Status.Message)
	}
	if st := stageStatus(t, b, "prod"); len(st.Queued) != 0 || st.CurrentPromotion == nil {
		t.Errorf("prod's queue = %+v, current %v; want it empty and the running Promotion still current", st.Queued, st.CurrentPromotion)
	}
	if p := phase(queued["keeps"]); p.Status.Phase != v1.PhasePending || len(stageStatus(t, b, "keeps").Queued) != 1 {
		t.Errorf("keepPending Stage's queued Promotion = %s, want it Pending in the queue", p.Status.Phase)
	}
	discarded := 0
	for _, e := range events(t, b, project) {
		if e.Type == v1.TypePromotionDiscarded {
			discarded++
			if !strings.Contains(string(e.Data), queued["prod"]) {
				t.Errorf("promotion.discarded event %s, want it to name %s", e.Data, queued["prod"])
			}
		}
	}
	if discarded != 1 {
		t.Errorf("%d promotion.discarded events, want 1", discarded)
	}
}

// TestWindowDiscardThenAutoPromotesAgain (docs/resources.md#promotion-windows): an
// auto-promotion queued in a paused Stage is discarded when a freeze begins; auto-promotion
// creates nothing while the freeze lasts — the Stage resumed meanwhile — and, once it ends,
// promotes the same Freight again, under a new name, and that Promotion succeeds.
func TestWindowDiscardThenAutoPromotesAgain(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	now := time.Now().UTC().Truncate(time.Second)
	opens := now.Add(15 * time.Second)
	putProjectConfig(t, b, autoPromoting("prod"))
	prod := verifyingStage("prod", v1.FreightSources{Direct: true})
	prod.Spec.PromotionWindows = []v1.PromotionWindow{{Name: "freeze", Kind: "Deny",
		DTStart: now.Add(5 * time.Second).Format("20060102T150405Z"), DTEnd: opens.Format("20060102T150405Z")}}
	putResource(t, b, project, v1.KindStage, "prod", prod)
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "pause"), "pause-1", v1.StageCommand{Stage: "prod", Actor: "email:sre@example.com"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "prod to be paused", func() bool { return stageStatus(t, b, "prod").Paused != nil })
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	f := putFreight(t, b, project, &v1.Freight{Origin: origin, Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+f, "freight/"+f,
		v1.FreightEvent{Project: project, Freight: f, Origin: origin}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the auto-promotion to queue", func() bool { return len(stageStatus(t, b, "prod").Queued) == 1 })
	first := stageStatus(t, b, "prod").Queued[0].Name
	waitFor(t, "the freeze to discard it, recorded as prod's last discarded Promotion", func() bool {
		d := stageStatus(t, b, "prod").LastDiscarded
		return d != nil && d.Name == first
	})
	if d := stageStatus(t, b, "prod").LastDiscarded; d.Freight != f || d.Phase != v1.PhaseAborted {
		t.Errorf("prod's lastDiscarded = %+v, want %s of %s, Aborted", d, first, f)
	}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "resume"), "resume-1", v1.StageCommand{Stage: "prod"}); err != nil {
		t.Fatal(err)
	}
	var again *v1.Promotion
	waitFor(t, "the Freight to be auto-promoted again once the freeze ends, and succeed", func() bool {
		ps, err := listPromotions(t, b)
		if err != nil {
			return false
		}
		for i := range ps {
			if ps[i].Metadata.Name != first && ps[i].Spec.Freight == f && ps[i].Status.Phase == v1.PhaseSucceeded {
				again = &ps[i]
				return true
			}
		}
		return false
	})
	if actor := again.Metadata.Annotations[v1.AnnotationCreateActor]; actor != v1.ActorAutoPromotion {
		t.Errorf("the second Promotion's actor = %q, want %q", actor, v1.ActorAutoPromotion)
	}
	if c := again.Metadata.CreationTimestamp; c == nil || c.Before(opens) {
		t.Errorf("the second Promotion was created at %v, before the freeze ended at %v: auto-promotion undid the discard", c, opens)
	}
	if ps, err := listPromotions(t, b); err != nil || len(ps) != 2 {
		t.Errorf("%d Promotions (%v), want the discarded one and the one that succeeded", len(ps), err)
	}
}

// TestReappliedWindowsMoveTheDiscard (docs/resources.md#promotion-windows): the timer at a
// Stage's next closing follows its windows when they are applied again — on the Stage, on the
// ProjectConfig or on the ClusterConfig — so a freeze moved earlier discards what is queued
// when it now begins, not when it used to.
func TestReappliedWindowsMoveTheDiscard(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	now := time.Now().UTC().Truncate(time.Second)
	freeze := func(begins time.Duration, selector string) []v1.PromotionWindow {
		w := v1.PromotionWindow{Name: "freeze", Kind: "Deny",
			DTStart: now.Add(begins).Format("20060102T150405Z"), DTEnd: now.Add(begins + time.Hour).Format("20060102T150405Z")}
		if selector != "" {
			w.StageSelector = &v1.StageSelector{Name: selector}
		}
		return []v1.PromotionWindow{w}
	}
	putResource(t, b, "", v1.KindProject, project, v1.Project{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProject},
		Metadata: v1.ObjectMeta{Name: project}})
	stages := map[string]v1.Stage{}
	for _, name := range []string{"own", "project", "cluster"} {
		stages[name] = verifyingStage(name, v1.FreightSources{Direct: true})
	}
	own := stages["own"]
	own.Spec.PromotionWindows = freeze(time.Hour, "") // the freeze was planned for later
	stages["own"] = own
	f := putFreight(t, b, project, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	queued := map[string]string{}
	for name, st := range stages {
		putResource(t, b, project, v1.KindStage, name, st)
		if err := b.Publish(t.Context(), bus.CommandSubject(project, "pause"), "pause-"+name, v1.StageCommand{Stage: name, Actor: "email:sre@example.com"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, name+" to be paused", func() bool { return stageStatus(t, b, name).Paused != nil })
		publishPromote(t, ns, name, f)
		waitFor(t, name+"'s Promotion to queue", func() bool { return len(stageStatus(t, b, name).Queued) == 1 })
		queued[name] = stageStatus(t, b, name).Queued[0].Name
	}

	// The freeze moves to five seconds from now, declared in three places.
	own.Spec.PromotionWindows = freeze(5*time.Second, "")
	putResource(t, b, project, v1.KindStage, "own", own)
	putProjectConfig(t, b, v1.ProjectConfigSpec{PromotionWindows: freeze(5*time.Second, "project")})
	putResource(t, b, "", v1.KindClusterConfig, v1.ClusterConfigName, v1.ClusterConfig{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindClusterConfig},
		Metadata: v1.ObjectMeta{Name: v1.ClusterConfigName},
		Spec:     v1.ClusterConfigSpec{PromotionWindows: freeze(5*time.Second, "cluster")},
	})
	for name, p := range queued {
		waitFor(t, name+"'s queued Promotion to be discarded when the moved freeze begins", func() bool {
			got, err := store.Promotion(t.Context(), b, project, p)
			return err == nil && got.Status.Phase == v1.PhaseAborted && strings.Contains(got.Status.Message, "discarded")
		})
	}
}

// TestReappliedWindowsStartTheQueue (docs/resources.md#promotion-windows): an auto-promotion
// that waits for a freeze starts as soon as the freeze is lifted by applying the Stage
// again, not when the freeze would have ended.
func TestReappliedWindowsStartTheQueue(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	now := time.Now().UTC().Truncate(time.Second)
	putProjectConfig(t, b, autoPromoting("prod"))
	prod := verifyingStage("prod", v1.FreightSources{Direct: true})
	prod.Spec.PromotionWindows = []v1.PromotionWindow{{Name: "freeze", Kind: "Deny",
		DTStart: now.Add(-time.Minute).Format("20060102T150405Z"), DTEnd: now.Add(time.Hour).Format("20060102T150405Z")}}
	putResource(t, b, project, v1.KindStage, "prod", prod)
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	f := putFreight(t, b, project, &v1.Freight{Origin: origin, Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+f, "freight/"+f,
		v1.FreightEvent{Project: project, Freight: f, Origin: origin}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the auto-promotion to wait for the freeze", func() bool {
		return strings.Contains(stageStatus(t, b, "prod").Waiting, `deny window "freeze" is open until`)
	})
	prod.Spec.PromotionWindows = nil
	putResource(t, b, project, v1.KindStage, "prod", prod)
	waitFor(t, "the auto-promotion to start and succeed once the freeze is lifted", func() bool {
		p := onlyPromotion(t, b, "prod")
		return p != nil && p.Status.Phase == v1.PhaseSucceeded
	})
}
