package stage

import (
	"fmt"
	"slices"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/window"
)

// The queue: at most one Promotion runs in a Stage; the others wait by class — verification
// runs first, so that nothing starts before the Freight it verifies is verified, then
// auto-rollbacks, then Promotions people asked for, then auto-promotions — and within a class
// in the order they were created (a Promotion's name embeds a ULID).

// ClassOf is p's class in its Stage's queue.
func ClassOf(p *v1.Promotion) string {
	switch {
	case IsVerification(p):
		return v1.ClassVerification
	case IsRollback(p):
		return v1.ClassRollback
	case p.Metadata.Annotations[v1.AnnotationCreateActor] == v1.ActorAutoPromotion:
		return v1.ClassAuto
	}
	return v1.ClassManual
}

// rank orders classes; a reference without one (queued before classes were recorded) is
// manual.
func rank(class string) int {
	switch class {
	case v1.ClassVerification:
		return 0
	case v1.ClassRollback:
		return 1
	case v1.ClassAuto:
		return 3
	}
	return 2
}

// Enqueue puts ref in st's queue after every queued Promotion of its class or a higher one,
// before those of lower classes. It reports false, changing nothing, when st already runs or
// queues ref.
func Enqueue(st *v1.StageStatus, ref v1.PromotionReference) bool {
	if st.CurrentPromotion != nil && st.CurrentPromotion.Name == ref.Name || queued(st, ref.Name) >= 0 {
		return false
	}
	i := len(st.Queued)
	for i > 0 && rank(st.Queued[i-1].Class) > rank(ref.Class) {
		i--
	}
	st.Queued = slices.Insert(st.Queued, i, ref)
	return true
}

// Claim makes head, the head of st's queue, st's current Promotion and clears why the Stage
// waited. It reports false, changing nothing, when a Promotion runs already or head is no
// longer the head of the queue: two writers never start two Promotions in one Stage.
func Claim(st *v1.StageStatus, head string) bool {
	if st.CurrentPromotion != nil || len(st.Queued) == 0 || st.Queued[0].Name != head {
		return false
	}
	st.CurrentPromotion, st.Queued, st.Waiting = &st.Queued[0], st.Queued[1:], ""
	return true
}

// Release makes st forget name as its current or queued Promotion; false when it was
// neither.
func Release(st *v1.StageStatus, name string) bool {
	changed := false
	if st.CurrentPromotion != nil && st.CurrentPromotion.Name == name {
		st.CurrentPromotion, changed = nil, true
	}
	if i := queued(st, name); i >= 0 {
		st.Queued, changed = slices.Delete(st.Queued, i, i+1), true
	}
	return changed
}

// End records p, finished, as st's last Promotion: p leaves the current slot or the queue,
// and when it succeeded into a Stage with no Freight summary yet its Freight becomes the
// summary (Receive refines it per origin). A superseded Promotion never ran: it only leaves
// the queue, recorded as discarded (Discarded).
func End(st *v1.StageStatus, p *v1.Promotion) bool {
	if p.Status.Phase == v1.PhaseSuperseded {
		return Discarded(st, p)
	}
	changed := Release(st, p.Metadata.Name)
	if st.LastPromotion != nil && st.LastPromotion.Name == p.Metadata.Name {
		return changed
	}
	st.LastPromotion = &v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight, Phase: p.Status.Phase}
	if p.Status.Phase == v1.PhaseSucceeded && st.FreightSummary == "" {
		st.FreightSummary = p.Spec.Freight
	}
	return true
}

// Discarded takes p, which leaves st's queue without running and without a person deciding
// so (a closing window discarded it, or a newer auto-promotion superseded it), out of the
// queue and records it as st.LastDiscarded: it is not the Stage's last Promotion, and
// auto-promotion names its next Promotion of the same Freight after it (AutoPromotion).
// False when p was neither queued nor current.
func Discarded(st *v1.StageStatus, p *v1.Promotion) bool {
	if !Release(st, p.Metadata.Name) {
		return false
	}
	st.LastDiscarded = &v1.PromotionReference{Name: p.Metadata.Name, Freight: p.Spec.Freight, Phase: p.Status.Phase}
	return true
}

// SetWaiting records why the head of st's queue waits; "" when nothing waits.
func SetWaiting(st *v1.StageStatus, why string) bool {
	if st.Waiting == why {
		return false
	}
	st.Waiting = why
	return true
}

// Wait is why the head of a Stage's queue may not start now, and when to look again.
type Wait struct {
	// Why is for users, e.g. "paused by ana: release freeze; dray resume prod lets its
	// Promotions start"; "" when the Promotion may start.
	Why string
	// Until is when a promotion window opens; zero when no time makes it start (a pause).
	Until time.Time
}

// Blocked says why p, the head of Stage stage's queue (status st), may not start at now.
// A Promotion that no longer exists (nil), has finished or is a verification run is never
// blocked: the queue releases it, or it belongs to the Promotion that ran. A paused Stage
// blocks every other one. A scheduled one (v1.AnnotationPromoteAfter) waits for its time,
// keeping its place in the queue. Otherwise, unless p was started with a window override, the
// promotion windows that windows reads (the Stage's, its ProjectConfig's and the
// ClusterConfig's; nil when the Stage is gone) decide, through window.Evaluate; it is called
// only then, and its error is returned as is. An invalid window blocks the queue, saying why.
func Blocked(stage string, st *v1.StageStatus, p *v1.Promotion, now time.Time, windows func() ([]v1.PromotionWindow, error)) (Wait, error) {
	if p == nil || p.Status.Finished() {
		return Wait{}, nil
	}
	if _, ok := p.Metadata.Annotations[v1.AnnotationVerifies]; ok {
		return Wait{}, nil
	}
	if pause := st.Paused; pause != nil {
		why := "paused"
		if pause.By != "" {
			why += " by " + pause.By
		}
		if pause.Reason != "" {
			why += ": " + pause.Reason
		}
		return Wait{Why: why + "; dray resume " + stage + " lets its Promotions start"}, nil
	}
	if after, ok := p.Metadata.Annotations[v1.AnnotationPromoteAfter]; ok {
		t, err := time.Parse(time.RFC3339, after)
		if err != nil {
			return Wait{Why: fmt.Sprintf("Promotion %s waits: annotation %s: %q is not an RFC 3339 time; abort it and promote again",
				p.Metadata.Name, v1.AnnotationPromoteAfter, after)}, nil
		}
		if now.Before(t) {
			return Wait{Why: fmt.Sprintf("Promotion %s is scheduled for %s", p.Metadata.Name, t.UTC().Format(time.RFC3339)), Until: t}, nil
		}
	}
	if _, ok := p.Metadata.Annotations[v1.AnnotationWindowOverride]; ok {
		return Wait{}, nil
	}
	ws, err := windows()
	if err != nil {
		return Wait{}, err
	}
	check, err := window.Evaluate(ws, now)
	if err != nil {
		return Wait{Why: "Promotions wait: " + err.Error()}, nil
	}
	if check.Closed {
		w := Wait{Why: fmt.Sprintf("Promotion %s waits: %s", p.Metadata.Name, check.Reason)}
		if check.NextOpen != nil {
			w.Until = *check.NextOpen
		}
		return w, nil
	}
	return Wait{}, nil
}

// Refused says why p, the head of a Stage's queue, must never start: its Freight f (nil when
// it was deleted) was rejected for the Stage since p was queued
// (docs/resources.md#freight-rejection). "" when it may start; verification runs, which
// verify what the Stage holds already, always may.
func Refused(p *v1.Promotion, f *v1.Freight) string {
	if p == nil || f == nil || IsVerification(p) || p.Status.Finished() {
		return ""
	}
	if why := pipeline.Rejected(f, p.Spec.Stage); why != "" {
		return "not started: " + why
	}
	return ""
}

func queued(st *v1.StageStatus, name string) int {
	return slices.IndexFunc(st.Queued, func(r v1.PromotionReference) bool { return r.Name == name })
}
