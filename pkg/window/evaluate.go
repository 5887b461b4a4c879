package window

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Horizon is how far ahead Evaluate looks for the next opening or closing: far enough for a
// yearly freeze.
const Horizon = 2 * 366 * 24 * time.Hour

// maxSteps bounds the boundaries Evaluate walks, so a window recurring every minute cannot
// make it run long; past them the next change is reported as unknown.
const maxSteps = 20000

// Evaluate applies windows to time now (docs/resources.md, "Promotion windows"): the Stage
// is closed while a Deny window is active, and, when there are Allow windows, while none of
// them is. It also finds when that next changes, within Horizon. An invalid window is an
// *Error naming it and its field.
func Evaluate(windows []v1.PromotionWindow, now time.Time) (v1.PromotionWindowStatus, error) {
	ws := make([]parsed, 0, len(windows))
	for i, w := range windows {
		p, err := parse(i, w)
		if err != nil {
			return v1.PromotionWindowStatus{}, err
		}
		ws = append(ws, p)
	}
	open, reason := state(ws, now)
	st := v1.PromotionWindowStatus{Closed: !open}
	at, why, found := change(ws, now, !open)
	switch {
	case !open:
		st.Reason = reason
		if found {
			st.NextOpen = &at
			if reason == noAllow {
				st.Reason += "; the next opens at " + at.Format(time.RFC3339)
			}
		}
	case found:
		st.NextClose, st.NextCloseReason = &at, why
	}
	return st, nil
}

const noAllow = "no allow window is open"

// state says whether ws let Promotions start at t, and if not, why.
func state(ws []parsed, t time.Time) (bool, string) {
	allows, allowOpen := 0, false
	for _, w := range ws {
		sp, active := activeAt(w, t)
		if w.deny {
			if active {
				return false, "deny window " + w.label() + " is open until " + sp.end.Format(time.RFC3339)
			}
			continue
		}
		allows++
		allowOpen = allowOpen || active
	}
	if allows > 0 && !allowOpen {
		return false, noAllow
	}
	return true, ""
}

func activeAt(w parsed, t time.Time) (span, bool) {
	sp, ok := w.sched.next(t)
	return sp, ok && !sp.start.After(t)
}

// change walks the times after now at which some window starts or ends, and returns the
// first at which ws are open (wantOpen) or closed, with the reason when closed.
func change(ws []parsed, now time.Time, wantOpen bool) (time.Time, string, bool) {
	limit := now.Add(Horizon)
	t := now
	for range maxSteps {
		var b time.Time
		for _, w := range ws {
			sp, ok := w.sched.next(t)
			if !ok {
				continue
			}
			// A window's state changes where its current occurrence ends or its next begins.
			edge := sp.start
			if !sp.start.After(t) {
				edge = sp.end
			}
			if b.IsZero() || edge.Before(b) {
				b = edge
			}
		}
		if b.IsZero() || b.After(limit) {
			return time.Time{}, "", false
		}
		if open, why := state(ws, b); open == wantOpen {
			return b, why, true
		}
		t = b
	}
	return time.Time{}, "", false
}
