package v1

import "time"

// Stage is an environment that Freight is promoted into.
type Stage struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta  `json:"metadata"`
	Spec     StageSpec   `json:"spec"`
	Status   StageStatus `json:"status,omitzero"`
}

// StageSpec is the desired behaviour of a Stage.
type StageSpec struct {
	// Vars are visible to the promotion template and verification.
	Vars []ExpressionVariable `json:"vars,omitempty"`
	// RequestedFreight lists the origins the Stage takes Freight from, and from where.
	RequestedFreight []FreightRequest `json:"requestedFreight"`
	// PromotionTemplate is the sequence of steps a Promotion to this Stage runs.
	PromotionTemplate *PromotionTemplate `json:"promotionTemplate,omitempty"`
	// Verification runs after a successful Promotion.
	Verification *Verification `json:"verification,omitempty"`
	// PromotionWindows allow or deny Promotions to this Stage by schedule, with the
	// project's.
	PromotionWindows []PromotionWindow `json:"promotionWindows,omitempty"`
}

// FreightRequest asks for Freight of one origin.
type FreightRequest struct {
	Origin  FreightOrigin  `json:"origin"`
	Sources FreightSources `json:"sources"`
}

// FreightSources says where requested Freight may come from.
type FreightSources struct {
	// Direct makes every Freight of the origin available at once.
	Direct bool `json:"direct,omitempty"`
	// Stages are upstream Stages the Freight must be verified in.
	Stages []string `json:"stages,omitempty"`
	// AvailabilityStrategy is OneOf (default) or All.
	AvailabilityStrategy string `json:"availabilityStrategy,omitempty"`
	// RequiredSoakTime is how long Freight must have been in the upstream Stages.
	RequiredSoakTime string `json:"requiredSoakTime,omitempty"`
	// AutoPromotionOptions tune auto-promotion for this origin.
	AutoPromotionOptions *AutoPromotionOptions `json:"autoPromotionOptions,omitempty"`
}

// AutoPromotionOptions tune how auto-promotion picks Freight.
type AutoPromotionOptions struct {
	// SelectionPolicy is NewestFreight (default) or MatchUpstream: then the candidate is the
	// Freight the one upstream Stage holds, and none while it holds several.
	SelectionPolicy string `json:"selectionPolicy,omitempty"`
}

// Selection policies of AutoPromotionOptions.
const (
	SelectNewestFreight = "NewestFreight"
	SelectMatchUpstream = "MatchUpstream"
)

// PromotionTemplate wraps the steps of a promotion.
type PromotionTemplate struct {
	Spec PromotionTemplateSpec `json:"spec"`
}

// PromotionTemplateSpec holds template variables and steps.
type PromotionTemplateSpec struct {
	Vars  []ExpressionVariable `json:"vars,omitempty"`
	Steps []PromotionStep      `json:"steps,omitempty"`
}

// Verification lists what runs after a successful Promotion.
type Verification struct {
	// Steps are Dray's verification: promotion steps run after a successful Promotion, on
	// the same executors (http checks, custom container steps, …), with the same
	// expression environment. Their success verifies the Freight in the Stage.
	Steps []PromotionStep `json:"steps,omitempty"`
	// AnalysisTemplates are Kargo's Argo Rollouts analyses: accepted, not run by Dray yet.
	AnalysisTemplates   []AnalysisTemplateReference `json:"analysisTemplates,omitempty"`
	AnalysisRunMetadata *AnalysisRunMetadata        `json:"analysisRunMetadata,omitempty"`
	Args                []AnalysisRunArgument       `json:"args,omitempty"`
}

// AnalysisTemplateReference names an Argo Rollouts AnalysisTemplate.
type AnalysisTemplateReference struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// AnalysisRunMetadata is copied onto AnalysisRuns.
type AnalysisRunMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AnalysisRunArgument is a named argument; its value may hold expressions.
type AnalysisRunArgument struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// StageStatus is written by Dray only.
type StageStatus struct {
	// FreightSummary names the Freight currently in the Stage.
	FreightSummary string `json:"freightSummary,omitempty"`
	// CurrentPromotion is the Promotion running now.
	CurrentPromotion *PromotionReference `json:"currentPromotion,omitempty"`
	// Paused says who paused the Stage; its Promotions queue until it resumes.
	Paused *StagePaused `json:"paused,omitempty"`
	// Waiting says why the next queued Promotion has not started, e.g. a freeze.
	Waiting string `json:"waiting,omitempty"`
	// PromotionWindow is what the Stage's promotion windows say now; filled in when the Stage
	// is read through the API, not stored.
	PromotionWindow *PromotionWindowStatus `json:"promotionWindow,omitempty"`
	// Queued are the Promotions waiting for the current one to end, oldest first.
	Queued []PromotionReference `json:"queued,omitempty"`
	// LastPromotion is the last Promotion that finished.
	LastPromotion *PromotionReference `json:"lastPromotion,omitempty"`
	// LastDiscarded is the last Promotion that left the queue without running and without a
	// person deciding so: discarded when the Stage's promotion windows closed, or superseded
	// by a newer auto-promotion. Auto-promotion may promote its Freight again
	// (docs/resources.md#auto-promotion).
	LastDiscarded *PromotionReference `json:"lastDiscarded,omitempty"`
	// Metadata is set by the set-metadata step.
	Metadata map[string]any `json:"metadata,omitempty"`
	// FreightHistory is the Freight the Stage received, newest first, at most MaxStageHistory.
	FreightHistory []StageHistoryEntry `json:"freightHistory,omitempty"`
	// Verification says why the current Freight is not verified when it cannot be, e.g.
	// verification through AnalysisTemplates, which Dray does not run yet, or not yet, e.g.
	// while it waits for the Stage to be Healthy.
	Verification string `json:"verification,omitempty"`
	// AutoPromotionHolds are the origins whose auto-promotion a person's Promotion holds, by
	// "<Kind>/<name>" (docs/resources.md#auto-promotion-holds): promoting Freight other than the auto-promotion
	// candidate holds the origin; promoting the candidate lifts the hold.
	AutoPromotionHolds map[string]AutoPromotionHold `json:"autoPromotionHolds,omitempty"`
	// VerifyWhenHealthy names the successful Promotion whose verification waits for the Stage
	// to be Healthy (docs/resources.md#verification): its argocd-update steps registered health checks,
	// and verification, or the Freight's verifiedIn when there is none, follows once they pass.
	VerifyWhenHealthy string `json:"verifyWhenHealthy,omitempty"`
	// Health is the merge of the health checks of the last successful Promotion, evaluated
	// by the argocd executor while the Stage holds Freight.
	Health *StageHealth `json:"health,omitempty"`
	// LastStableFreight is, per origin ("<Kind>/<name>"), the last Freight verified in the
	// Stage: where auto-rollback returns to (docs/resources.md#auto-rollback).
	LastStableFreight map[string]StableFreight `json:"lastStableFreight,omitempty"`
	// LastAutoPromotionAt is when auto-promotion last created a Promotion in the Stage: with
	// a policy's autoPromotionMinInterval, the next waits until the interval has passed.
	LastAutoPromotionAt *time.Time `json:"lastAutoPromotionAt,omitempty"`
	// Deviations are the failures auto-rollback will roll back once the Stage has settled
	// (nothing Running or Pending), in the order they happened.
	Deviations []StageDeviation `json:"deviations,omitempty"`
}

// StableFreight is the last Freight of an origin verified in a Stage.
type StableFreight struct {
	Freight    string        `json:"freight"`
	Origin     FreightOrigin `json:"origin,omitzero"`
	VerifiedAt *time.Time    `json:"verifiedAt,omitempty"`
}

// StageDeviation is a failure in a Stage that auto-rollback answers: the Freight of an origin
// failed its verification, or its Promotion failed.
type StageDeviation struct {
	Freight string        `json:"freight"`
	Origin  FreightOrigin `json:"origin,omitzero"`
	// Promotion is the failed Promotion or verification run.
	Promotion string `json:"promotion"`
	// Phase is its phase: Failed or Errored.
	Phase string `json:"phase"`
	// Verification is true when Promotion is a verification run.
	Verification bool `json:"verification,omitempty"`
	// Rollback is true when the failed Freight came with an auto-rollback: it is not rolled
	// back again.
	Rollback bool       `json:"rollback,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

// AutoPromotionHold says which Promotion holds auto-promotion of an origin in a Stage.
type AutoPromotionHold struct {
	FreightName   string        `json:"freightName"`
	Origin        FreightOrigin `json:"origin"`
	PromotionName string        `json:"promotionName"`
	Actor         string        `json:"actor,omitempty"`
	CreatedAt     *time.Time    `json:"createdAt,omitempty"`
}

// PromotionReference names a Promotion and its Freight.
type PromotionReference struct {
	Name    string `json:"name"`
	Freight string `json:"freight,omitempty"`
	Phase   string `json:"phase,omitempty"`
	// Class orders the queue: verification, rollback, manual (also when empty), then auto.
	Class string `json:"class,omitempty"`
}

// Classes of Promotions in a Stage's queue, in the order they start
// (docs/resources.md#the-queue).
const (
	ClassVerification = "verification"
	ClassRollback     = "rollback"
	ClassManual       = "manual"
	ClassAuto         = "auto"
)
