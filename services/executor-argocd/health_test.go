package executorargocd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/argocd/argocdtest"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/service"
)

const project, stage = "kargo-demo", "prod"

type fixture struct {
	bus *bus.Bus
	srv *argocdtest.Server
	m   *monitor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	b := bustest.Start(t).Connect(t)
	srv := argocdtest.NewServer(t, "tok")
	srv.Add(&argocdtest.App{Name: "web-prod", Spec: map[string]any{"source": map[string]any{"repoURL": "https://x/y.git"}}})
	srv.Update("argocd", "web-prod", func(a *argocdtest.App) {
		a.Status.Health.Status, a.Status.Sync.Revision = argocd.HealthProgressing, "abc123"
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &fixture{bus: b, srv: srv, m: &monitor{bus: b, log: log, clients: argocd.NewProvider(srv.Config(), nil)}}
}

func (f *fixture) put(t *testing.T, kv jetstream.KeyValue, key string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), key, data); err != nil {
		t.Fatal(err)
	}
}

// promoted records a Promotion that ran argocd-update and a Stage that holds its Freight.
func (f *fixture) promoted(t *testing.T) {
	t.Helper()
	p := v1.Promotion{Metadata: v1.ObjectMeta{Name: "prod.01", Namespace: project}, Spec: v1.PromotionSpec{Stage: stage, Freight: "f1"}}
	p.Status.Phase = v1.PhaseSucceeded
	p.Status.StepExecutionMetadata = []v1.StepExecutionMetadata{
		{Alias: "clone", Uses: "git-clone", Status: v1.StepSucceeded},
		{Alias: "sync", Uses: "argocd-update", Status: v1.StepSucceeded},
	}
	p.Status.State = map[string]map[string]any{"sync": {
		"apps": []any{map[string]any{"name": "web-prod", "namespace": "argocd"}},
		"healthCheck": map[string]any{"uses": "argocd-update", "config": map[string]any{"apps": []any{
			map[string]any{"name": "web-prod", "namespace": "argocd", "desiredRevisions": []any{"abc123"}},
		}}},
	}}
	f.put(t, f.bus.Promotions, bus.Key(project, "prod.01"), &p)
	f.put(t, f.bus.Stages, bus.Key(project, stage), &v1.StageStatus{
		FreightSummary: "f1",
		LastPromotion:  &v1.PromotionReference{Name: "prod.01", Freight: "f1", Phase: v1.PhaseSucceeded},
		FreightHistory: []v1.StageHistoryEntry{{Freight: "f1", Promotion: "prod.01"}},
	})
}

func (f *fixture) stage(t *testing.T) v1.StageStatus {
	t.Helper()
	var st v1.StageStatus
	if _, err := f.bus.GetJSON(t.Context(), f.bus.Stages, bus.Key(project, stage), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// lastEvent returns the last stage.health.changed event and its stream sequence.
func (f *fixture) lastEvent(t *testing.T) (*v1.StageHealthEvent, uint64) {
	t.Helper()
	s, err := f.bus.JS.Stream(t.Context(), bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetLastMsgForSubject(t.Context(), bus.EventSubject(project, v1.TypeStageHealthChanged))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var e v1.Event
	var data v1.StageHealthEvent
	if err := json.Unmarshal(msg.Data, &e); err != nil || e.Type != v1.TypeStageHealthChanged {
		t.Fatalf("event %s: %v", msg.Data, err)
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	return &data, msg.Sequence
}

func TestStageHealth(t *testing.T) {
	f := newFixture(t)
	f.promoted(t)

	// Synced to the desired revision but still Progressing.
	if err := f.m.check(t.Context(), project, stage); err != nil {
		t.Fatal(err)
	}
	st := f.stage(t)
	if st.Health == nil || st.Health.Status != v1.HealthProgressing || st.Health.Promotion != "prod.01" || len(st.Health.Config) != 1 {
		t.Fatalf("health = %+v, want Progressing from prod.01's check", st.Health)
	}
	if st.FreightSummary != "f1" || st.LastPromotion == nil {
		t.Errorf("the health write lost the rest of the status: %+v", st)
	}
	e, seq := f.lastEvent(t)
	if e == nil || e.Health.Status != v1.HealthProgressing || e.Previous != "" || e.Stage != stage {
		t.Fatalf("event = %+v, want Progressing with no previous status", e)
	}

	// No change: nothing is written and no event is published.
	if err := f.m.check(t.Context(), project, stage); err != nil {
		t.Fatal(err)
	}
	if _, again := f.lastEvent(t); again != seq {
		t.Errorf("an unchanged health published another event")
	}

	// Healthy.
	f.srv.Update("argocd", "web-prod", func(a *argocdtest.App) { a.Status.Health.Status = argocd.HealthHealthy })
	if err := f.m.check(t.Context(), project, stage); err != nil {
		t.Fatal(err)
	}
	if st := f.stage(t); st.Health.Status != v1.HealthHealthy || len(st.Health.Issues) != 0 {
		t.Errorf("health = %+v, want Healthy without issues", st.Health)
	}
	if e, _ := f.lastEvent(t); e.Health.Status != v1.HealthHealthy || e.Previous != v1.HealthProgressing {
		t.Errorf("event = %+v, want Progressing → Healthy", e)
	}

	// Degraded.
	f.srv.Update("argocd", "web-prod", func(a *argocdtest.App) {
		a.Status.Health = argocd.HealthStatus{Status: argocd.HealthDegraded, Message: "back-off restarting"}
	})
	if err := f.m.check(t.Context(), project, stage); err != nil {
		t.Fatal(err)
	}
	st = f.stage(t)
	if st.Health.Status != v1.HealthUnhealthy || len(st.Health.Issues) != 1 || !strings.Contains(st.Health.Issues[0], "back-off restarting") {
		t.Errorf("health = %+v, want Unhealthy with Argo CD's message", st.Health)
	}
	apps, _ := st.Health.Output["applicationStatuses"].([]any)
	if len(apps) != 1 || apps[0].(map[string]any)["health"] != "Degraded" {
		t.Errorf("output = %v, want the app's observed status", st.Health.Output)
	}

	// A Promotion running makes the health Unknown.
	running := st
	running.CurrentPromotion = &v1.PromotionReference{Name: "prod.02", Freight: "f2"}
	f.put(t, f.bus.Stages, bus.Key(project, stage), &running)
	if err := f.m.check(t.Context(), project, stage); err != nil {
		t.Fatal(err)
	}
	if st := f.stage(t); st.Health.Status != v1.HealthUnknown || !strings.Contains(st.Health.Issues[0], "prod.02 is running") {
		t.Errorf("health = %+v, want Unknown while prod.02 runs", st.Health)
	}
}

func TestStageWithoutChecksIsHealthy(t *testing.T) {
	f := newFixture(t)
	p := v1.Promotion{Metadata: v1.ObjectMeta{Name: "prod.01", Namespace: project}}
	p.Status.Phase = v1.PhaseSucceeded
	f.put(t, f.bus.Promotions, bus.Key(project, "prod.01"), &p)
	f.put(t, f.bus.Stages, bus.Key(project, stage), &v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{{Freight: "f1", Promotion: "prod.01"}}})
	f.put(t, f.bus.Stages, bus.Key(project, "empty"), &v1.StageStatus{})
	f.m.checkAll(t.Context())
	if st := f.stage(t); st.Health == nil || st.Health.Status != v1.HealthHealthy {
		t.Errorf("health = %+v, want Healthy with no checks", st.Health)
	}
	var empty v1.StageStatus
	if _, err := f.bus.GetJSON(t.Context(), f.bus.Stages, bus.Key(project, "empty"), &empty); err != nil || empty.Health != nil {
		t.Errorf("a Stage without Freight got health %+v (%v)", empty.Health, err)
	}
}

// TestRunHealthOnPromotionEvent: a promotion event makes the service evaluate the Stage at
// once, long before its ticker would.
func TestRunHealthOnPromotionEvent(t *testing.T) {
	f := newFixture(t)
	done := make(chan error, 1)
	ctx := t.Context()
	// A marker Stage, healthy once the service's first pass over every Stage is done.
	marker := v1.Promotion{Metadata: v1.ObjectMeta{Name: "marker.01", Namespace: project}}
	marker.Status.Phase = v1.PhaseSucceeded
	f.put(t, f.bus.Promotions, bus.Key(project, "marker.01"), &marker)
	f.put(t, f.bus.Stages, bus.Key(project, "marker"), &v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{{Freight: "f0", Promotion: "marker.01"}}})
	go func() {
		done <- RunHealth(ctx, Options{HealthInterval: time.Hour}, service.Deps{Bus: f.bus, Log: f.m.log}, f.m.clients)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st v1.StageStatus
		if _, err := f.bus.GetJSON(ctx, f.bus.Stages, bus.Key(project, "marker"), &st); err == nil && st.Health != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service's first pass did not record the marker Stage's health")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The ticker is an hour away: only the promotion event can make the Stage evaluated now.
	f.promoted(t)
	for i := 0; ; i++ {
		ev := v1.PromotionEvent{Project: project, Stage: stage, Promotion: "prod.01", Phase: v1.PhaseSucceeded}
		if err := f.bus.PublishEvent(ctx, project, v1.TypePromotionSucceeded, fmt.Sprintf("test/%d", i), "promotion/prod.01", ev); err != nil {
			t.Fatal(err)
		}
		if st := f.stage(t); st.Health != nil && st.Health.Status == v1.HealthProgressing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Stage's health was not recorded after a promotion event")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := f.stage(t); st.Health == nil {
		t.Fatal("no health")
	}
	select {
	case err := <-done:
		t.Fatalf("RunHealth ended early: %v", err)
	default:
	}
}

func TestSteps(t *testing.T) {
	reg, err := StepsWith(argocd.NewProvider(argocd.Config{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reg.Names(), ","); got != "argocd-update,argocd-wait" {
		t.Errorf("Names() = %s", got)
	}
}
