package stage

import (
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Then is what a finished Promotion leads to in its Stage, once its Freight is recorded.
type Then int

const (
	// Nothing follows: the Promotion failed, errored or was aborted.
	Nothing Then = iota
	// AwaitHealth: the Promotion registered health checks, and its Freight is verified once
	// they say the Stage is Healthy.
	AwaitHealth
	// Verify the Freight now (see HowToVerify).
	Verify
	// NotVerified: a verification run did not succeed; Plan.Why says so.
	NotVerified
)

// Plan is what follows when a Promotion finishes.
type Plan struct {
	// Receive is true when the Promotion delivered its Freight into the Stage: its history,
	// the Freight's currentlyIn and the Stage's auto-promotion holds are recorded.
	Receive bool
	// Then is what follows once that is recorded.
	Then Then
	// Why says, for NotVerified, why the Freight is not verified.
	Why string
}

// Finished decides what follows p's end. healthChecks reports whether p registered health
// checks (argocd-update does). A successful Promotion delivered its Freight, and its
// Freight is verified once the Stage is Healthy: at once when there are no health checks to
// wait for. A verification run that succeeded verifies the Freight; one that did not says
// why it is not verified.
func Finished(p *v1.Promotion, healthChecks bool) Plan {
	run := IsVerification(p)
	succeeded := p.Status.Phase == v1.PhaseSucceeded
	plan := Plan{Receive: succeeded && !run}
	switch {
	case succeeded && !run && healthChecks:
		plan.Then = AwaitHealth
	case succeeded:
		plan.Then = Verify
	case run:
		plan.Then = NotVerified
		plan.Why = "verification " + p.Metadata.Name + " " + strings.ToLower(p.Status.Phase)
		if p.Status.Message != "" {
			plan.Why += ": " + p.Status.Message
		}
	}
	return plan
}

// IsVerification reports whether p is a verification run rather than a Promotion.
func IsVerification(p *v1.Promotion) bool {
	_, ok := p.Metadata.Annotations[v1.AnnotationVerifies]
	return ok
}

// Verifying is how a Stage verifies the Freight a successful Promotion delivered or
// verified.
type Verifying int

const (
	// VerifiedNow: the Freight is verified in the Stage at once (no verification, or p is
	// the verification run that succeeded).
	VerifiedNow Verifying = iota
	// RunSteps: the Stage's verification steps run as a verification run, ahead of the
	// Stage's queue, so that no other Promotion starts before it ends.
	RunSteps
	// Unsupported: the Stage verifies with Kargo's AnalysisTemplates, which Dray cannot run;
	// the second result says so to users, rather than ignoring them.
	Unsupported
)

// HowToVerify says how Stage s verifies the Freight p, a successful Promotion or
// verification run, is about.
func HowToVerify(p *v1.Promotion, s *v1.Stage) (Verifying, string) {
	if IsVerification(p) {
		return VerifiedNow, ""
	}
	v := s.Spec.Verification
	switch {
	case v != nil && len(v.Steps) > 0:
		return RunSteps, ""
	case v != nil && len(v.AnalysisTemplates) > 0:
		return Unsupported, "Stage " + p.Spec.Stage + " verifies with AnalysisTemplates, which Dray cannot run yet: the " +
			"Freight is not verified there. Verify with spec.verification.steps instead, or approve the Freight for the next " +
			"Stages (dray approve)."
	}
	return VerifiedNow, ""
}

// MarkVerified records in a Freight's status fs that it is verified in stage at now; false
// when it was already: the first verification is never overwritten.
func MarkVerified(fs *v1.FreightStatus, stage string, now time.Time) bool {
	if _, ok := fs.VerifiedIn[stage]; ok {
		return false
	}
	if fs.VerifiedIn == nil {
		fs.VerifiedIn = map[string]v1.VerifiedStage{}
	}
	fs.VerifiedIn[stage] = v1.VerifiedStage{VerifiedAt: &now}
	return true
}

// SetVerification records why the Stage's current Freight is not verified; "" when nothing
// keeps it from being verified.
func SetVerification(st *v1.StageStatus, why string) bool {
	if st.Verification == why {
		return false
	}
	st.Verification = why
	return true
}

// WaitingForHealth is the Stage's verification message while its verification waits for it
// to be Healthy.
const WaitingForHealth = "waiting for the Stage to be Healthy before verifying"

// WaitForHealth records that the verification after Promotion name waits for the Stage to
// be Healthy.
func WaitForHealth(st *v1.StageStatus, name string) bool {
	if st.VerifyWhenHealthy == name && st.Verification == WaitingForHealth {
		return false
	}
	st.VerifyWhenHealthy, st.Verification = name, WaitingForHealth
	return true
}

// Healthy decides what a Stage's turning Healthy does: waiting names the Promotion whose
// verification waited for it ("" when none did, or the Stage is not Healthy: nothing
// happens), and verify is true when the Stage still holds the Freight that Promotion
// delivered, so the verification runs. Either way, the wait then ends (EndHealthWait).
func Healthy(st *v1.StageStatus) (waiting string, verify bool) {
	waiting = st.VerifyWhenHealthy
	if waiting == "" || st.Health == nil || st.Health.Status != v1.HealthHealthy {
		return "", false
	}
	return waiting, len(st.FreightHistory) > 0 && st.FreightHistory[0].Promotion == waiting
}

// EndHealthWait ends the wait of Promotion waiting's verification for the Stage to be
// Healthy; false when another wait replaced it since.
func EndHealthWait(st *v1.StageStatus, waiting string) bool {
	if st.VerifyWhenHealthy != waiting {
		return false
	}
	st.VerifyWhenHealthy = ""
	if st.Verification == WaitingForHealth {
		st.Verification = ""
	}
	return true
}
