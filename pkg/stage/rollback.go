package stage

import (
	"slices"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
)

// Auto-rollback (docs/resources.md#auto-rollback): a Stage records, per origin, the last
// Freight verified there (Stable). A failed verification run or Promotion that its
// autoRollback policy answers is recorded as a deviation (Deviate); once the Stage has
// settled, NextRollback says which deviation to roll back to which Freight, one origin at a
// time in the order they deviated, and which to drop and why.

// IsRollback reports whether p is an auto-rollback Promotion.
func IsRollback(p *v1.Promotion) bool {
	return p.Metadata.Annotations[v1.AnnotationRollback] == "true"
}

// Stable records freight, of origin, verified in the Stage at at as its last stable Freight
// of that origin; false when it was already.
func Stable(st *v1.StageStatus, freight string, origin v1.FreightOrigin, at time.Time) bool {
	key := pipeline.HoldKey(origin)
	if s, ok := st.LastStableFreight[key]; ok && s.Freight == freight {
		return false
	}
	if st.LastStableFreight == nil {
		st.LastStableFreight = map[string]v1.StableFreight{}
	}
	st.LastStableFreight[key] = v1.StableFreight{Freight: freight, Origin: origin, VerifiedAt: &at}
	return true
}

// Deviate records in st that p, a finished verification run or Promotion, deviated the Stage
// when policy (nil: auto-rollback is off) rolls back its phase. The Stage then returns to
// its last stable Freight of p's origin once it settles (NextRollback). False when policy
// does not answer p, or p is recorded already.
func Deviate(st *v1.StageStatus, p *v1.Promotion, policy *pipeline.RollbackPolicy) bool {
	run := IsVerification(p)
	if !policy.RollsBack(run, p.Status.Phase) || p.Status.Freight == nil ||
		slices.ContainsFunc(st.Deviations, func(d v1.StageDeviation) bool { return d.Promotion == p.Metadata.Name }) {
		return false
	}
	d := v1.StageDeviation{Freight: p.Spec.Freight, Origin: p.Status.Freight.Origin, Promotion: p.Metadata.Name,
		Phase: p.Status.Phase, Verification: run, At: p.Status.FinishedAt, Rollback: IsRollback(p)}
	if run {
		// The Freight a verification run fails came with the Promotion that delivered it.
		if h, ok := current(st, d.Origin); ok && h.Freight == d.Freight {
			d.Rollback = h.Rollback
		}
	}
	st.Deviations = append(st.Deviations, d)
	return true
}

// Rollback is what auto-rollback does in a Stage now.
type Rollback struct {
	// Start is the deviation to roll back now; nil when none is.
	Start *v1.StageDeviation
	// To is the Freight Start returns the Stage to.
	To v1.StableFreight
	// Skipped are the deviations not rolled back, and why; they are forgotten
	// (ForgetDeviation) and announced.
	Skipped []Skipped
}

// Skipped is a deviation auto-rollback does not roll back.
type Skipped struct {
	Deviation v1.StageDeviation
	// Why says so for users, e.g. "the failure is older than maxAge 20m0s".
	Why string
}

// NextRollback decides auto-rollback in a Stage with status st at now: nothing while the
// Stage has not settled (a Promotion runs or is queued). Then each deviation, oldest first,
// is skipped when the Stage has taken other Freight of its origin since, when it is older
// than maxAge, when the Freight was delivered by a rollback (a rollback is never rolled
// back), when a person's hold stops auto-promotion of the origin (they decide), when there
// is no other stable Freight of the origin to return to, or when rejected (nil: none) says
// why the stable Freight may not be promoted; the first one left is started, and the rest
// wait until the Stage settles again.
func NextRollback(st *v1.StageStatus, now time.Time, maxAge time.Duration, rejected func(freight string) string) Rollback {
	var r Rollback
	if st.CurrentPromotion != nil || len(st.Queued) > 0 {
		return r
	}
	for i := range st.Deviations {
		d := st.Deviations[i]
		key := pipeline.HoldKey(d.Origin)
		stable, hasStable := st.LastStableFreight[key]
		why := ""
		switch h, held := current(st, d.Origin); {
		case held && h.Since != nil && d.At != nil && h.Since.After(*d.At),
			held && d.Verification && h.Freight != d.Freight:
			why = "the Stage took other Freight of " + key + " since"
		case d.At != nil && now.Sub(*d.At) > maxAge:
			why = "the failure is older than maxAge " + maxAge.String()
		case d.Rollback:
			why = "the Freight was delivered by a rollback, and a rollback is never rolled back"
		case st.AutoPromotionHolds[key].PromotionName != "":
			why = "auto-promotion of " + key + " is held by Promotion " + st.AutoPromotionHolds[key].PromotionName + ": a person decides"
		case !hasStable || stable.Freight == d.Freight:
			why = "no other Freight of " + key + " was verified in the Stage to return to"
		case rejected != nil && rejected(stable.Freight) != "":
			why = "the stable Freight " + stable.Freight + " may not be promoted: " + rejected(stable.Freight)
		}
		if why != "" {
			r.Skipped = append(r.Skipped, Skipped{Deviation: d, Why: why})
			continue
		}
		r.Start, r.To = &d, stable
		break
	}
	return r
}

// ForgetDeviation drops the deviation that Promotion promotion caused from st: it was rolled
// back or skipped. False when st does not record it.
func ForgetDeviation(st *v1.StageStatus, promotion string) bool {
	i := slices.IndexFunc(st.Deviations, func(d v1.StageDeviation) bool { return d.Promotion == promotion })
	if i < 0 {
		return false
	}
	st.Deviations = slices.Delete(st.Deviations, i, i+1)
	if len(st.Deviations) == 0 {
		st.Deviations = nil
	}
	return true
}

// current is the Stage's newest history entry of origin.
func current(st *v1.StageStatus, origin v1.FreightOrigin) (v1.StageHistoryEntry, bool) {
	for _, h := range st.FreightHistory {
		if sameOrigin(h.Origin, origin) {
			return h, true
		}
	}
	return v1.StageHistoryEntry{}, false
}
