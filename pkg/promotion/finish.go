package promotion

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

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
