package promotion

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Supersede ends p, a queued auto-promotion that a newer candidate replaced, Superseded with
// message at now. It reports false when p has started or finished: it then runs, or ended,
// as it would have.
func Supersede(p *v1.Promotion, message string, now time.Time) bool {
	if p.Status.Phase != v1.PhasePending && p.Status.Phase != "" {
		return false
	}
	now = now.UTC()
	p.Status.Phase, p.Status.Message, p.Status.FinishedAt = v1.PhaseSuperseded, message, &now
	return true
}

// End ends a Promotion that has not finished with phase and message at now, as the
// scheduler decided (FinalPhase). It reports false for a finished Promotion: its first end
// is the one on record.
func End(p *v1.Promotion, phase, message string, now time.Time) bool {
	if p.Status.Finished() {
		return false
	}
	now = now.UTC()
	p.Status.Phase, p.Status.Message, p.Status.FinishedAt = phase, message, &now
	return true
}

// Discard ends p, a queued Promotion that a closing of its Stage's promotion windows
// discards, Aborted with message at now (docs/resources.md#promotion-windows). It reports
// false when p has started or finished: it then runs, or ended, as it would have.
func Discard(p *v1.Promotion, message string, now time.Time) bool {
	if p.Status.Phase != v1.PhasePending && p.Status.Phase != "" {
		return false
	}
	return End(p, v1.PhaseAborted, message, now)
}

// Close applies r, a finish, abort or supersede record, to p (End, Abort, Supersede); false
// when it changes nothing.
func Close(p *v1.Promotion, r *v1.PromotionRecord, now time.Time) bool {
	switch r.Op {
	case v1.RecordAbort:
		return Abort(p, r.Actor, now)
	case v1.RecordSupersede:
		return Supersede(p, r.Message, now)
	}
	return End(p, r.Phase, r.Message, now)
}
