package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Windows returns the promotion windows that apply to Stage s: the project's that select it,
// then its own.
func Windows(cfg *v1.ProjectConfig, s *v1.Stage) []v1.PromotionWindow {
	var out []v1.PromotionWindow
	if cfg != nil {
		for _, w := range cfg.Spec.PromotionWindows {
			if w.Stages == nil || selects(*w.Stages, s) {
				out = append(out, w)
			}
		}
	}
	return append(out, s.Spec.PromotionWindows...)
}

// WindowCheck is whether Promotions may start now, and if not, why and until when.
type WindowCheck struct {
	Open bool
	// Reason says which window keeps Promotions waiting, for users.
	Reason string
	// Until is when to look again; zero when no window will open.
	Until time.Time
}

// CheckWindows decides whether Promotions may start at now under windows: not while a deny
// window is open; and, when there are allow windows, only while one is open. An invalid
// window is an error naming it.
func CheckWindows(windows []v1.PromotionWindow, now time.Time) (WindowCheck, error) {
	var allows []window
	for i, w := range windows {
		cw, err := parseWindow(w)
		if err != nil {
			return WindowCheck{}, fmt.Errorf("promotionWindows[%d] %s: %w", i, w.Name, err)
		}
		if w.Kind == v1.WindowDeny {
			if start, open := cw.openAt(now); open {
				end := start.Add(cw.duration)
				return WindowCheck{Reason: fmt.Sprintf("deny window %s is open until %s", windowName(w, i), end.Format(time.RFC3339)), Until: end}, nil
			}
			continue
		}
		allows = append(allows, cw)
	}
	if len(allows) == 0 {
		return WindowCheck{Open: true}, nil
	}
	var next time.Time
	for _, cw := range allows {
		if _, open := cw.openAt(now); open {
			return WindowCheck{Open: true}, nil
		}
		if n := cw.schedule.Next(now.In(cw.loc)); next.IsZero() || n.Before(next) {
			next = n
		}
	}
	return WindowCheck{Reason: "no allow window is open; the next opens at " + next.Format(time.RFC3339), Until: next}, nil
}

type window struct {
	schedule cron.Schedule
	duration time.Duration
	loc      *time.Location
}

func parseWindow(w v1.PromotionWindow) (window, error) {
	if w.Kind != v1.WindowAllow && w.Kind != v1.WindowDeny {
		return window{}, fmt.Errorf("kind: %q is neither allow nor deny", w.Kind)
	}
	loc := time.UTC
	if w.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(w.TimeZone); err != nil {
			return window{}, fmt.Errorf("timeZone: %q is not an IANA time zone such as Europe/Berlin", w.TimeZone)
		}
	}
	sched, err := cron.ParseStandard(strings.TrimSpace(w.Schedule))
	if err != nil {
		return window{}, fmt.Errorf("schedule: %q is not a five-field cron expression: %v", w.Schedule, err)
	}
	d, err := time.ParseDuration(w.Duration)
	if err != nil || d <= 0 {
		return window{}, fmt.Errorf("duration: %q is not a positive duration such as 2h", w.Duration)
	}
	return window{schedule: sched, duration: d, loc: loc}, nil
}

// openAt reports whether the window is open at t, and since when: the first activation
// after t-duration is at or before t exactly when t falls inside one.
func (w window) openAt(t time.Time) (time.Time, bool) {
	start := w.schedule.Next(t.In(w.loc).Add(-w.duration))
	return start, !start.After(t)
}

func windowName(w v1.PromotionWindow, i int) string {
	if w.Name != "" {
		return fmt.Sprintf("%q", w.Name)
	}
	return fmt.Sprintf("promotionWindows[%d]", i)
}

// ValidateWindows reports every invalid window, for manifests.
func ValidateWindows(windows []v1.PromotionWindow) []error {
	var errs []error
	for i, w := range windows {
		if _, err := parseWindow(w); err != nil {
			errs = append(errs, fmt.Errorf("promotionWindows[%d]: %w", i, err))
		}
	}
	return errs
}
