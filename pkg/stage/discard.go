package stage

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Discard lists, in queue order, the queued Promotions of a Stage that a closing of its
// promotion windows discards (docs/resources.md#promotion-windows): each one still Pending,
// except verification runs (the windows do not hold them), those asked for with a window
// override (they may start in a closed window), and those scheduled for later than now
// (kargo.akuity.io/promote-after: they wait for their time anyway). keep, a closing window's
// keepPending, keeps them all. promotions holds the queued Promotions by name; a missing one is
// left to the queue, which releases it.
func Discard(queued []v1.PromotionReference, promotions map[string]*v1.Promotion, keep bool, now time.Time) []string {
	if keep {
		return nil
	}
	var out []string
	for _, ref := range queued {
		p := promotions[ref.Name]
		if p == nil || ref.Class == v1.ClassVerification || p.Status.Phase != v1.PhasePending && p.Status.Phase != "" {
			continue
		}
		if _, ok := p.Metadata.Annotations[v1.AnnotationVerifies]; ok {
			continue
		}
		if _, ok := p.Metadata.Annotations[v1.AnnotationWindowOverride]; ok {
			continue
		}
		if after, err := time.Parse(time.RFC3339, p.Metadata.Annotations[v1.AnnotationPromoteAfter]); err == nil && after.After(now) {
			continue
		}
		out = append(out, ref.Name)
	}
	return out
}
