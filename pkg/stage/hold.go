package stage

import (
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
)

// HoldChange is what a person's successful Promotion does to the auto-promotion hold of its
// origin in its Stage. Dray follows Kargo's documented behaviour: only successful
// Promotions set or lift holds, and aborted ones never change them.
type HoldChange int

const (
	HoldKeep  HoldChange = iota // an auto-promotion: holds stay as they are
	HoldSet                     // not the candidate: hold the origin
	HoldLift                    // the candidate: lift the origin's hold
	HoldClear                   // auto-promotion is off in the Stage: no holds
)

// HoldFor says what p, a successful Promotion into Stage s (nil when it was deleted), does
// to holds: when p's Freight is not its origin's auto-promotion candidate at now,
// auto-promotion of the origin stops there until someone promotes the candidate.
// Auto-promotions change no hold, and where auto-promotion is off there are none. config and
// freight read the project's ProjectConfig (nil when there is none) and its Freight; they
// are called only when needed, and their errors are returned as they are.
func HoldFor(p *v1.Promotion, s *v1.Stage, now time.Time, config func() (*v1.ProjectConfig, error), freight func() ([]v1.Freight, error)) (HoldChange, error) {
	if s == nil || p.Status.Freight == nil || p.Metadata.Annotations[v1.AnnotationCreateActor] == v1.ActorAutoPromotion {
		return HoldKeep, nil
	}
	cfg, err := config()
	if err != nil {
		return HoldKeep, err
	}
	if cfg == nil || !pipeline.AutoPromotionEnabled(cfg, s) {
		return HoldClear, nil
	}
	all, err := freight()
	if err != nil {
		return HoldKeep, err
	}
	if c := pipeline.Candidate(s, p.Status.Freight.Origin, all, now); c != nil && c.Metadata.Name == p.Spec.Freight {
		return HoldLift, nil
	}
	return HoldSet, nil
}

// ApplyHold records change, made by p, on st's holds. A hold is set before the Stage
// records p's Freight and lifted after (see the state service): in between, auto-promotion
// would promote the candidate over a person's rollback, or the candidate a second time.
func ApplyHold(st *v1.StageStatus, p *v1.Promotion, change HoldChange) bool {
	switch change {
	case HoldKeep:
		return false
	case HoldClear:
		return ClearHolds(st)
	}
	origin := p.Status.Freight.Origin
	key := pipeline.HoldKey(origin)
	h, had := st.AutoPromotionHolds[key]
	if change == HoldLift {
		delete(st.AutoPromotionHolds, key)
		return had
	}
	if had && h.PromotionName == p.Metadata.Name {
		return false
	}
	if st.AutoPromotionHolds == nil {
		st.AutoPromotionHolds = map[string]v1.AutoPromotionHold{}
	}
	st.AutoPromotionHolds[key] = v1.AutoPromotionHold{FreightName: p.Spec.Freight, Origin: origin,
		PromotionName: p.Metadata.Name, Actor: promotion.Actor(p), CreatedAt: p.Status.FinishedAt}
	return true
}

// ClearHolds drops every auto-promotion hold of st: disabling auto-promotion clears them.
func ClearHolds(st *v1.StageStatus) bool {
	changed := len(st.AutoPromotionHolds) > 0
	st.AutoPromotionHolds = nil
	return changed
}
