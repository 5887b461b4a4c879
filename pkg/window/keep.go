package window

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// KeepPending says whether the windows that keep a Stage closed at now ask to keep its queued
// Promotions (keepPending) rather than discard them (docs/resources.md#promotion-windows): an
// active Deny window that says so, or, when no Deny window is active (no Allow window is),
// an Allow window that says so. An invalid window is an *Error, as in Evaluate.
func KeepPending(windows []v1.PromotionWindow, now time.Time) (bool, error) {
	denying, allowKeeps := false, false
	for i, w := range windows {
		p, err := parse(i, w)
		if err != nil {
			return false, err
		}
		if !p.deny {
			allowKeeps = allowKeeps || w.KeepPending
			continue
		}
		spans, _, err := p.sched.spans(now, now.Add(time.Nanosecond))
		if err != nil {
			return false, &Error{Index: i, Name: w.Name, Field: "rrule", Msg: err.Error()}
		}
		for _, sp := range spans {
			if !sp.start.After(now) && sp.end.After(now) {
				if w.KeepPending {
					return true, nil
				}
				denying = true
			}
		}
	}
	return !denying && allowKeeps, nil
}
