package executorargocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/service"
)

// monitor evaluates Stage health: on a ticker for every Stage, and at once for a Stage whose
// Promotion starts or ends. It writes only status.health, with compare-and-set, so the state
// service's writes to the rest of the status are never lost.
type monitor struct {
	bus     *bus.Bus
	log     *slog.Logger
	clients *argocd.Provider
}

// RunHealth evaluates the health of every Stage that holds Freight every opts.HealthInterval,
// and of a Stage at once when a promotion event names it, until ctx ends.
func RunHealth(ctx context.Context, opts Options, d service.Deps, clients *argocd.Provider) error {
	interval := opts.HealthInterval
	if interval <= 0 {
		interval = DefaultHealthInterval
	}
	m := &monitor{bus: d.Bus, log: d.Log, clients: clients}
	type stageRef struct{ project, stage string }
	now := make(chan stageRef, 64)
	onEvent := func(msg *nats.Msg) {
		var p v1.PromotionEvent
		e, err := bus.DecodeEvent(msg.Data)
		if err != nil || json.Unmarshal(e.Data, &p) != nil || p.Stage == "" {
			return
		}
		select {
		case now <- stageRef{p.Project, p.Stage}:
		default: // the next tick covers it
		}
	}
	// Health changes when a Promotion starts or ends, not with each of its steps.
	for _, t := range []string{v1.TypePromotionStarted, v1.TypePromotionSucceeded, v1.TypePromotionFailed,
		v1.TypePromotionErrored, v1.TypePromotionAborted} {
		sub, err := d.Bus.Conn.Subscribe(bus.EventSubject("*", t), onEvent)
		if err != nil {
			return fmt.Errorf("subscribe to promotion events: %w", err)
		}
		defer sub.Unsubscribe()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	m.checkAll(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.checkAll(ctx)
		case s := <-now:
			if err := m.check(ctx, s.project, s.stage); err != nil && ctx.Err() == nil {
				m.log.Warn("cannot record stage health", "project", s.project, "stage", s.stage, "err", err)
			}
		}
	}
}

// checkAll evaluates every Stage with a recorded status.
func (m *monitor) checkAll(ctx context.Context) {
	lister, err := m.bus.Stages.ListKeys(ctx)
	if err != nil {
		if !errors.Is(err, jetstream.ErrNoKeysFound) && ctx.Err() == nil {
			m.log.Warn("cannot list stages for health", "err", err)
		}
		return
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		project, stage, _ := strings.Cut(k, ".")
		if err := m.check(ctx, project, stage); err != nil && ctx.Err() == nil {
			m.log.Warn("cannot record stage health", "project", project, "stage", stage, "err", err)
		}
	}
}

// check evaluates one Stage and records its health when it changed, then announces the
// change. A Stage that holds no Freight is left alone.
func (m *monitor) check(ctx context.Context, project, stage string) error {
	var st v1.StageStatus
	if _, err := m.bus.GetJSON(ctx, m.bus.Stages, bus.Key(project, stage), &st); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		return err
	}
	if len(st.FreightHistory) == 0 {
		return nil
	}
	h := m.evaluate(ctx, project, &st)
	return m.record(ctx, project, stage, h)
}

// evaluate computes a Stage's health (docs/resources.md#health): Unknown while a Promotion runs or
// when the last one failed; else the worst of the health checks registered by the Promotion
// that delivered the current Freight; Healthy when there are none.
func (m *monitor) evaluate(ctx context.Context, project string, st *v1.StageStatus) *v1.StageHealth {
	delivered := st.FreightHistory[0].Promotion
	h := &v1.StageHealth{Status: v1.HealthHealthy, Promotion: delivered}
	if c := st.CurrentPromotion; c != nil && !m.verification(ctx, project, c.Name) {
		h.Status, h.Issues = v1.HealthUnknown, []string{fmt.Sprintf("Promotion %s is running", c.Name)}
		return h
	}
	if l := st.LastPromotion; l != nil && l.Name != delivered && l.Phase != v1.PhaseSucceeded && !m.verification(ctx, project, l.Name) {
		h.Status, h.Issues = v1.HealthUnknown, []string{fmt.Sprintf("the last Promotion, %s, ended %s", l.Name, l.Phase)}
		return h
	}
	var p v1.Promotion
	if _, err := m.bus.GetJSON(ctx, m.bus.Promotions, bus.Key(project, delivered), &p); err != nil {
		h.Status, h.Issues = v1.HealthUnknown, []string{fmt.Sprintf("cannot read Promotion %s: %v", delivered, err)}
		return h
	}
	h.Config = promotion.HealthChecks(&p)
	if len(h.Config) == 0 {
		return h
	}
	c, err := m.clients.Client(ctx, project)
	if err != nil {
		h.Status, h.Issues = v1.HealthUnknown, []string{err.Error()}
		return h
	}
	var apps []argocd.AppStatus
	for _, check := range h.Config {
		cfg, err := argocd.DecodeHealthConfig(check.Config)
		if err != nil {
			h.Status, h.Issues = v1.HealthUnknown, append(h.Issues, err.Error())
			continue
		}
		status, issues, obs := argocd.CheckHealth(ctx, c, cfg)
		if v1.HealthSeverity(status) > v1.HealthSeverity(h.Status) {
			h.Status = status
		}
		h.Issues = append(h.Issues, issues...)
		apps = append(apps, obs...)
	}
	h.Output = map[string]any{"applicationStatuses": apps}
	return h
}

// verification reports whether the Promotion name is a verification run, which leaves the
// health of the Freight it verifies alone.
func (m *monitor) verification(ctx context.Context, project, name string) bool {
	var p v1.Promotion
	if _, err := m.bus.GetJSON(ctx, m.bus.Promotions, bus.Key(project, name), &p); err != nil {
		return false
	}
	_, ok := p.Metadata.Annotations[v1.AnnotationVerifies]
	return ok
}

// record stores h as the Stage's status.health with compare-and-set when its status, issues,
// checks or observations changed, and then publishes stage.health.changed. The event's ID is
// the Stage entry's new revision, so a republished event is stored once.
func (m *monitor) record(ctx context.Context, project, stage string, h *v1.StageHealth) error {
	key := bus.Key(project, stage)
	want, err := normalize(h)
	if err != nil {
		return err
	}
	for {
		var st v1.StageStatus
		rev, err := m.bus.GetJSON(ctx, m.bus.Stages, key, &st)
		if err != nil {
			return err
		}
		prev := ""
		if st.Health != nil {
			prev = st.Health.Status
			old := *st.Health
			old.CheckedAt = nil
			if reflect.DeepEqual(&old, want) {
				return nil
			}
		}
		now := time.Now().UTC()
		next := *want
		next.CheckedAt = &now
		st.Health = &next
		data, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		newRev, err := m.bus.Stages.Update(ctx, key, data, rev)
		if err != nil {
			if isConflict(err) && ctx.Err() == nil {
				continue
			}
			return fmt.Errorf("update stage status %s: %w", key, err)
		}
		m.log.Info("stage health changed", "project", project, "stage", stage, "health", next.Status, "previous", prev, "issues", next.Issues)
		e := &v1.StageHealthEvent{Project: project, Stage: stage, Previous: prev, Health: next}
		return m.bus.PublishEvent(ctx, project, v1.TypeStageHealthChanged, fmt.Sprintf("%s/health/%d", key, newRev), "stage/"+stage, e)
	}
}

// normalize round-trips h through JSON, so it compares equal to a decoded copy; CheckedAt is
// dropped.
func normalize(h *v1.StageHealth) (*v1.StageHealth, error) {
	c := *h
	c.CheckedAt = nil
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	var out v1.StageHealth
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		errors.Is(err, jetstream.ErrKeyExists)
}
