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
