package window

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/teambition/rrule-go"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Error is a window that cannot be read: which one, which field and what is wrong.
type Error struct {
	// Index is the window's place in its list.
	Index int
	// Name is the window's name, if it has one.
	Name string
	// Field is the field at fault, e.g. rrule.
	Field string
	// Msg says what is wrong and what to write instead.
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("promotionWindows[%d]%s: %s: %s", e.Index, nameSuffix(e.Name), e.Field, e.Msg)
}

func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " " + name
}

// schedule yields the occurrences of a window: [start, end) intervals in start order.
type schedule interface {
	// spans returns, in start order, the occurrences that end after from and start by limit,
	// at most maxSpans of them, and the time up to which that list is complete: limit, or the
	// last start when there were more. It fails when reaching from takes more than maxSkip
	// occurrences.
	spans(from, limit time.Time) ([]span, time.Time, error)
}

// maxSpans bounds the occurrences of one window that one evaluation reads, so a window that
// recurs every minute cannot make it run long; beyond them its future is unknown.
const maxSpans = 5000

// maxSkip bounds the past occurrences read to reach now: an RRULE is read from its dtstart,
// so one recurring every minute since years ago would otherwise take seconds.
const maxSkip = 1 << 18

// errTooOften is the error of a window with more than maxSkip occurrences before now.
var errTooOften = fmt.Errorf("recurs more than %d times between dtstart and now; move dtstart closer to now", maxSkip)

// collect gathers spans from next, which yields occurrences in start order (ok false when
// there are no more), as schedule.spans does.
func collect(from, limit time.Time, next func() (span, bool)) ([]span, time.Time, error) {
	var out []span
	skipped := 0
	for {
		sp, ok := next()
		if !ok || sp.start.After(limit) {
			return out, limit, nil
		}
		if !sp.end.After(from) {
			if skipped++; skipped > maxSkip {
				return nil, time.Time{}, errTooOften
			}
			continue
		}
		if len(out) == maxSpans {
			return out, out[len(out)-1].start, nil
		}
		out = append(out, sp)
	}
}

type span struct{ start, end time.Time }

// parsed is a window ready to evaluate.
type parsed struct {
	name  string
	index int
	deny  bool
	sched schedule
}

func (p parsed) label() string {
	if p.name != "" {
		return fmt.Sprintf("%q", p.name)
	}
	return fmt.Sprintf("promotionWindows[%d]", p.index)
}

// Validate reports every window in list that cannot be read, each as an *Error. cluster says
// whether the list belongs to a ClusterConfig, the only place projectSelector is allowed.
func Validate(list []v1.PromotionWindow, cluster bool) []error {
	var errs []error
	for i, w := range list {
		if _, err := parse(i, w); err != nil {
			errs = append(errs, err)
		}
		if w.ProjectSelector != nil && !cluster {
			errs = append(errs, &Error{Index: i, Name: w.Name, Field: "projectSelector",
				Msg: "is only allowed on a ClusterConfig's windows; a project's windows apply to that project"})
		}
		if w.Stages != nil && w.StageSelector != nil {
			errs = append(errs, &Error{Index: i, Name: w.Name, Field: "stages",
				Msg: "is the earlier name of stageSelector; set only stageSelector"})
		}
	}
	return errs
}

// parse reads window w, the i-th of its list.
func parse(i int, w v1.PromotionWindow) (parsed, error) {
	fail := func(field, format string, args ...any) (parsed, error) {
		return parsed{}, &Error{Index: i, Name: w.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	p := parsed{name: w.Name, index: i}
	switch {
	case strings.EqualFold(w.Kind, v1.WindowDeny):
		p.deny = true
	case strings.EqualFold(w.Kind, v1.WindowAllow):
	default:
		return fail("kind", "%q is neither Allow nor Deny", w.Kind)
	}
	kargo := w.RRule != "" || w.DTStart != "" || w.DTEnd != ""
	legacy := w.Schedule != "" || w.Duration != "" || w.TimeZone != ""
	switch {
	case kargo && legacy:
		return fail("schedule", "cannot be combined with rrule, dtstart and dtend; write the window with rrule, dtstart and dtend only")
	case legacy:
		s, err := parseCron(w)
		if err != nil {
			return fail(err.field, "%s", err.msg)
		}
		p.sched = s
	default:
		s, err := parseRecurrence(w)
		if err != nil {
			return fail(err.field, "%s", err.msg)
		}
		p.sched = s
	}
	return p, nil
}

type fieldErr struct{ field, msg string }

// recurrence is Kargo's form: RRule repeats [start, end); without it, one occurrence.
type recurrence struct {
	start, end time.Time
	rule       *rrule.RRule
}

func parseRecurrence(w v1.PromotionWindow) (*recurrence, *fieldErr) {
	if w.DTStart == "" {
		return nil, &fieldErr{"dtstart", "is required, e.g. TZID=Europe/Berlin:20260101T090000"}
	}
	start, err := rrule.StrToDtStart(w.DTStart, time.UTC)
	if err != nil {
		return nil, &fieldErr{"dtstart", fmt.Sprintf("%q is not an iCal date-time such as TZID=Europe/Berlin:20260101T090000 or 20260101T090000Z: %v", w.DTStart, err)}
	}
	if w.DTEnd == "" {
		return nil, &fieldErr{"dtend", "is required: when the first occurrence ends, in dtstart's form"}
	}
	end, err := rrule.StrToDtStart(w.DTEnd, start.Location())
	if err != nil {
		return nil, &fieldErr{"dtend", fmt.Sprintf("%q is not an iCal date-time such as TZID=Europe/Berlin:20260101T170000 or 20260101T170000Z: %v", w.DTEnd, err)}
	}
	if !end.After(start) {
		return nil, &fieldErr{"dtend", fmt.Sprintf("%s is not after dtstart %s", w.DTEnd, w.DTStart)}
	}
	r := &recurrence{start: start, end: end}
	if w.RRule != "" {
		opt, err := rrule.StrToROptionInLocation(strings.TrimPrefix(strings.TrimSpace(w.RRule), "RRULE:"), start.Location())
		if err != nil {
			return nil, &fieldErr{"rrule", fmt.Sprintf("%q is not an RFC 5545 recurrence rule such as FREQ=WEEKLY;BYDAY=FR: %v", w.RRule, err)}
		}
		if opt.Freq == rrule.SECONDLY {
			return nil, &fieldErr{"rrule", fmt.Sprintf("%q recurs every second; the finest Dray reads is FREQ=MINUTELY", w.RRule)}
		}
		opt.Dtstart = start
		if r.rule, err = rrule.NewRRule(*opt); err != nil {
			return nil, &fieldErr{"rrule", fmt.Sprintf("%q is not an RFC 5545 recurrence rule such as FREQ=WEEKLY;BYDAY=FR: %v", w.RRule, err)}
		}
	}
	return r, nil
}

func (r *recurrence) spans(from, limit time.Time) ([]span, time.Time, error) {
	d := r.end.Sub(r.start)
	if r.rule == nil {
		once := true
		return collect(from, limit, func() (span, bool) {
			ok := once
			once = false
			return span{r.start, r.end}, ok
		})
	}
	it := r.rule.Iterator()
	return collect(from, limit, func() (span, bool) {
		s, ok := it()
		return span{s, s.Add(d)}, ok
	})
}

// cronWindow is Dray's earlier form: a cron schedule opening the window for a duration.
type cronWindow struct {
	sched    cron.Schedule
	duration time.Duration
	loc      *time.Location
}

func parseCron(w v1.PromotionWindow) (*cronWindow, *fieldErr) {
	loc := time.UTC
	if w.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(w.TimeZone); err != nil {
			return nil, &fieldErr{"timeZone", fmt.Sprintf("%q is not an IANA time zone such as Europe/Berlin", w.TimeZone)}
		}
	}
	sched, err := cron.ParseStandard(strings.TrimSpace(w.Schedule))
	if err != nil {
		return nil, &fieldErr{"schedule", fmt.Sprintf("%q is not a five-field cron expression: %v", w.Schedule, err)}
	}
	d, err := time.ParseDuration(w.Duration)
	if err != nil || d <= 0 {
		return nil, &fieldErr{"duration", fmt.Sprintf("%q is not a positive duration such as 2h", w.Duration)}
	}
	return &cronWindow{sched: sched, duration: d, loc: loc}, nil
}

func (c *cronWindow) spans(from, limit time.Time) ([]span, time.Time, error) {
	// The first activation that matters is the first after from-duration.
	t := from.In(c.loc).Add(-c.duration)
	return collect(from, limit, func() (span, bool) {
		t = c.sched.Next(t)
		return span{t, t.Add(c.duration)}, !t.IsZero()
	})
}
