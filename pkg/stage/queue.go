package stage

import (
	"fmt"
	"slices"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/window"
)

// The queue: at most one Promotion runs in a Stage; the others wait in the order they were
// created (a Promotion's name embeds a ULID), except that a verification run goes to the
// front, so that nothing starts before the Freight it verifies is verified.

// Enqueue puts ref at the end of st's queue, or at its front. It reports false, changing
// nothing, when st already runs or queues ref.
func Enqueue(st *v1.StageStatus, ref v1.PromotionReference, front bool) bool {
	if st.CurrentPromotion != nil && st.CurrentPromotion.Name == ref.Name || queued(st, ref.Name) >= 0 {
		return false
	}
	if front {
		st.Queued = append([]v1.PromotionReference{ref}, st.Queued...)
	} else {
		st.Queued = append(st.Queued, ref)
	}
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
// summary (Receive refines it per origin).
func End(st *v1.StageStatus, p *v1.Promotion) bool {
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
// blocks every other one. Otherwise, unless p was started with a window override, the
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

func queued(st *v1.StageStatus, name string) int {
	return slices.IndexFunc(st.Queued, func(r v1.PromotionReference) bool { return r.Name == name })
}
