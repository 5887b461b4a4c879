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
	// next returns the first occurrence that ends after t, and false when there is none.
	next(t time.Time) (span, bool)
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
		opt.Dtstart = start
		if r.rule, err = rrule.NewRRule(*opt); err != nil {
			return nil, &fieldErr{"rrule", fmt.Sprintf("%q is not an RFC 5545 recurrence rule such as FREQ=WEEKLY;BYDAY=FR: %v", w.RRule, err)}
		}
	}
	return r, nil
}

func (r *recurrence) next(t time.Time) (span, bool) {
	d := r.end.Sub(r.start)
	if r.rule == nil {
		return span{r.start, r.end}, r.end.After(t)
	}
	// Every occurrence lasts d, so the first to end after t starts after t-d.
	s := r.rule.After(t.Add(-d), false)
	if s.IsZero() {
		return span{}, false
	}
	return span{s, s.Add(d)}, true
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

func (c *cronWindow) next(t time.Time) (span, bool) {
	s := c.sched.Next(t.In(c.loc).Add(-c.duration))
	if s.IsZero() {
		return span{}, false
	}
	return span{s, s.Add(c.duration)}, true
}
