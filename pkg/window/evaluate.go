package window

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Horizon is how far ahead Evaluate looks for the next opening or closing: far enough for a
// yearly freeze.
const Horizon = 2 * 366 * 24 * time.Hour

// Evaluate applies windows to time now (docs/resources.md, "Promotion windows"): the Stage
// is closed while a Deny window is active, and, when there are Allow windows, while none of
// them is. It also finds when that next changes, within Horizon (less when a window recurs
// so often that more than maxSpans of its occurrences would be read). An invalid window, or
// one with more than maxSkip occurrences before now, is an *Error naming it and its field.
func Evaluate(windows []v1.PromotionWindow, now time.Time) (v1.PromotionWindowStatus, error) {
	ws := make([]*timeline, 0, len(windows))
	limit := now.Add(Horizon)
	for i, w := range windows {
		p, err := parse(i, w)
		if err != nil {
			return v1.PromotionWindowStatus{}, err
		}
		spans, complete, err := p.sched.spans(now, limit)
		if err != nil {
			return v1.PromotionWindowStatus{}, &Error{Index: i, Name: w.Name, Field: "rrule", Msg: err.Error()}
		}
		ws = append(ws, &timeline{parsed: p, spans: spans})
		if complete.Before(limit) {
			limit = complete
		}
	}
	open, reason := state(ws, now)
	st := v1.PromotionWindowStatus{Closed: !open}
	at, why, found := change(ws, now, limit, !open)
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

// timeline is a window's occurrences from now on, read in time order: at only moves forward.
type timeline struct {
	parsed
	spans []span
	i     int // the first span that may end after the time last asked about
}

// at returns the occurrence active at t, if any, or else the next one (ok false when none
// is known); t must not go back between calls.
func (tl *timeline) at(t time.Time) (sp span, active, ok bool) {
	for tl.i < len(tl.spans) && !tl.spans[tl.i].end.After(t) {
		tl.i++
	}
	if tl.i == len(tl.spans) {
		return span{}, false, false
	}
	sp = tl.spans[tl.i]
	return sp, !sp.start.After(t), true
}

// state says whether ws let Promotions start at t, and if not, why.
func state(ws []*timeline, t time.Time) (bool, string) {
	allows, allowOpen := 0, false
	for _, w := range ws {
		sp, active, _ := w.at(t)
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

// change walks the times after now, up to limit, at which some window starts or ends, and
// returns the first at which ws are open (wantOpen) or closed, with the reason when closed.
func change(ws []*timeline, now, limit time.Time, wantOpen bool) (time.Time, string, bool) {
	t := now
	for {
		var b time.Time
		for _, w := range ws {
			sp, active, ok := w.at(t)
			if !ok {
				continue
			}
			// A window's state changes where its current occurrence ends or its next begins;
			// an occurrence overlapping the current one keeps it active past that end.
			edge := sp.start
			if active {
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
}
