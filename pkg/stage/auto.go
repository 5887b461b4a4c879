package stage

import (
	"fmt"
	"slices"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/window"
)

// Auto is what auto-promotion does for one origin of one Stage.
type Auto struct {
	// HeldBy names the Promotion whose hold stops auto-promotion of the origin; when set,
	// nothing else is.
	HeldBy string
	// WakeAt is when the first Freight of the origin that is verified upstream but still
	// soaking will have soaked long enough: time passing makes it available, and no event
	// says so. Zero when none soaks.
	WakeAt time.Time
	// Candidate is the Freight to promote; nil when there is none, or it is not wanted.
	Candidate *v1.Freight
	// ID is the promote command's idempotency ID, and so names the Promotion: the same for
	// every evaluation while the Stage holds the same Freight of the origin, and new once
	// it holds another (then the candidate may be one it held before: MatchUpstream
	// following a rollback), or once an auto-promotion of the candidate left the queue
	// without running (StageStatus.LastDiscarded): the discarded Promotion keeps its name.
	ID string
}

// AutoPromotion decides auto-promotion of origin into Stage s (with its status), where it
// is enabled, given all the project's Freight at now: the newest Freight available to s
// (pipeline.Candidate), unless the origin is held, or that Freight is already in the Stage,
// running or queued there, or failed there last time (a person must promote it then).
func AutoPromotion(s *v1.Stage, origin v1.FreightOrigin, freight []v1.Freight, now time.Time) Auto {
	if h, held := s.Status.AutoPromotionHolds[pipeline.HoldKey(origin)]; held {
		return Auto{HeldBy: h.PromotionName}
	}
	a := Auto{WakeAt: soakEnds(s, origin, freight, now)}
	c := pipeline.Candidate(s, origin, freight, now)
	if c == nil || !Wanted(&s.Status, origin, c.Metadata.Name) {
		return a
	}
	a.Candidate = c
	a.ID = "auto/" + s.Metadata.Name + "/" + c.Metadata.Name
	for _, h := range pipeline.Current(s.Status.FreightHistory) {
		if pipeline.SameOrigin(h.Origin, origin) {
			a.ID += "/after/" + h.Promotion
		}
	}
	if d := s.Status.LastDiscarded; d != nil && d.Freight == c.Metadata.Name {
		a.ID += "/after/" + d.Name
	}
	return a
}

// AwaitOpen says whether auto-promotion of candidate into Stage stage (status st) waits for
// the Stage's promotion windows to open, and until when (zero when no opening is known): when
// the last Promotion discarded from the Stage's queue (st.LastDiscarded) was of candidate and
// windows, read only then, say the Stage is closed at now. A closing window discarded it; a
// new Promotion queued at once would undo that, so auto-promotion promotes the candidate
// again — the newest then — when the windows open (docs/resources.md#promotion-windows). An
// invalid window does not hold auto-promotion here: the queue holds the Promotion, saying why.
func AwaitOpen(st *v1.StageStatus, candidate string, now time.Time, windows func() ([]v1.PromotionWindow, error)) (bool, time.Time, error) {
	if st.LastDiscarded == nil || st.LastDiscarded.Freight != candidate {
		return false, time.Time{}, nil
	}
	ws, err := windows()
	if err != nil {
		return false, time.Time{}, err
	}
	ev, err := window.Evaluate(ws, now)
	if err != nil || !ev.Closed {
		return false, time.Time{}, nil
	}
	if ev.NextOpen == nil {
		return true, time.Time{}, nil
	}
	return true, *ev.NextOpen, nil
}

// Wanted reports whether auto-promotion should promote freight, of origin, into a Stage
// with status st: not when it is the Stage's Freight of that origin, running or queued
// there, or when its last Promotion there did not succeed — failed, errored, or aborted by a
// person, as Kargo's auto-promotion creates none of a Freight while a Promotion of it to the
// Stage exists. A Promotion discarded from the queue (a closing window, or superseded)
// never finished there (End and Discarded do not make it st.LastPromotion), so its Freight
// is wanted again.
func Wanted(st *v1.StageStatus, origin v1.FreightOrigin, freight string) bool {
	for _, h := range st.FreightHistory {
		if h.Origin.Name != "" && !pipeline.SameOrigin(h.Origin, origin) {
			continue // another origin's slot
		}
		if h.Freight == freight {
			return false
		}
		break
	}
	if st.CurrentPromotion != nil && st.CurrentPromotion.Freight == freight {
		return false
	}
	if slices.ContainsFunc(st.Queued, func(r v1.PromotionReference) bool { return r.Freight == freight }) {
		return false
	}
	return st.LastPromotion == nil || st.LastPromotion.Freight != freight || st.LastPromotion.Phase == v1.PhaseSucceeded
}

// AutoDispatched records in st that auto-promotion created a Promotion at at (its creation
// time); false when a later one is recorded.
func AutoDispatched(st *v1.StageStatus, at time.Time) bool {
	if st.LastAutoPromotionAt != nil && !at.After(*st.LastAutoPromotionAt) {
		return false
	}
	at = at.UTC()
	st.LastAutoPromotionAt = &at
	return true
}

// RateLimited says until when auto-promotion may create no Promotion in a Stage with status
// st, whose policy allows one per interval (0: no limit); zero when it may now.
func RateLimited(st *v1.StageStatus, interval time.Duration, now time.Time) time.Time {
	if interval <= 0 || st.LastAutoPromotionAt == nil {
		return time.Time{}
	}
	if next := st.LastAutoPromotionAt.Add(interval); now.Before(next) {
		return next
	}
	return time.Time{}
}

// Superseded lists the Promotions queued in st for other Freight than freight, which a new
// auto-promotion of freight replaces if auto-promotion created them (the caller checks:
// Promotions people asked for stay queued).
func Superseded(st *v1.StageStatus, freight string) []string {
	var out []string
	for _, q := range st.Queued {
		if q.Freight != freight {
			out = append(out, q.Name)
		}
	}
	return out
}

// soakEnds is when the first Freight of origin still soaking upstream of s is available.
func soakEnds(s *v1.Stage, origin v1.FreightOrigin, freight []v1.Freight, now time.Time) time.Time {
	var first time.Time
	for i := range freight {
		if !pipeline.SameOrigin(freight[i].Origin, origin) {
			continue
		}
		if at, ok := pipeline.SoakReadyAt(s, &freight[i], now); ok && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

// Reverify returns the Freight a verification of a Stage with status st re-runs (dray
// verify): the one it received last. It is an error when the Stage holds none.
func Reverify(stage string, st *v1.StageStatus) (string, error) {
	if len(st.FreightHistory) == 0 {
		return "", fmt.Errorf("Stage %q holds no Freight to verify", stage)
	}
	return st.FreightHistory[0].Freight, nil
}
