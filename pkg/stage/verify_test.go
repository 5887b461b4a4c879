package stage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func TestFinished(t *testing.T) {
	tests := []struct {
		name         string
		p            *v1.Promotion
		healthChecks bool
		want         stage.Plan
	}{
		{"success without health checks: received and verified at once", promo("p", "f", v1.PhaseSucceeded), false,
			stage.Plan{Receive: true, Then: stage.Verify}},
		{"success with health checks: received, and verification waits for health", promo("p", "f", v1.PhaseSucceeded), true,
			stage.Plan{Receive: true, Then: stage.AwaitHealth}},
		{"failure: nothing follows", promo("p", "f", v1.PhaseFailed), false, stage.Plan{}},
		{"errored: nothing follows", promo("p", "f", v1.PhaseErrored), true, stage.Plan{}},
		{"aborted: nothing follows", promo("p", "f", v1.PhaseAborted), false, stage.Plan{}},
		{"a verification run that succeeded verifies, without receiving or waiting for health",
			promo("v", "f", v1.PhaseSucceeded, verificationRun), true, stage.Plan{Then: stage.Verify}},
		{"a verification run that failed says why", promo("v", "f", v1.PhaseFailed, verificationRun, message("smoke test: 503")), false,
			stage.Plan{Then: stage.NotVerified, Why: "verification v failed: smoke test: 503"}},
		{"a verification run aborted, without a message", promo("v", "f", v1.PhaseAborted, verificationRun), false,
			stage.Plan{Then: stage.NotVerified, Why: "verification v aborted"}},
		{"a verification run errored", promo("v", "f", v1.PhaseErrored, verificationRun, message("timeout")), false,
			stage.Plan{Then: stage.NotVerified, Why: "verification v errored: timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, stage.Finished(tt.p, tt.healthChecks)); diff != "" {
				t.Errorf("Finished() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHowToVerify(t *testing.T) {
	withSteps := func(s *v1.Stage) { s.Spec.Verification = &v1.Verification{Steps: []v1.PromotionStep{{Uses: "http"}}} }
	withAnalysis := func(s *v1.Stage) {
		s.Spec.Verification = &v1.Verification{AnalysisTemplates: []v1.AnalysisTemplateReference{{Name: "smoke"}}}
	}
	tests := []struct {
		name    string
		p       *v1.Promotion
		s       *v1.Stage
		want    stage.Verifying
		wantWhy string
	}{
		{"no verification: verified at once", promo("p", "f", v1.PhaseSucceeded), stageSpec(v1.FreightSources{Direct: true}), stage.VerifiedNow, ""},
		{"verification steps: a run", promo("p", "f", v1.PhaseSucceeded), stageSpec(v1.FreightSources{Direct: true}, withSteps), stage.RunSteps, ""},
		{"the run that succeeded verifies", promo("v", "f", v1.PhaseSucceeded, verificationRun), stageSpec(v1.FreightSources{Direct: true}, withSteps), stage.VerifiedNow, ""},
		{"AnalysisTemplates cannot run: said, not ignored", promo("p", "f", v1.PhaseSucceeded), stageSpec(v1.FreightSources{Direct: true}, withAnalysis),
			stage.Unsupported, "Stage prod verifies with AnalysisTemplates, which Dray cannot run yet: the Freight is not verified there. " +
				"Verify with spec.verification.steps instead, or approve the Freight for the next Stages (dray approve)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := stage.HowToVerify(tt.p, tt.s)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("HowToVerify() = %v, %q; want %v, %q", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestMarkVerified(t *testing.T) {
	fs := v1.FreightStatus{}
	if !stage.MarkVerified(&fs, "prod", now) {
		t.Fatal("MarkVerified() = false on an unverified Freight")
	}
	if !stage.MarkVerified(&fs, "qa", now) || len(fs.VerifiedIn) != 2 {
		t.Fatalf("verified in %v, want prod and qa", fs.VerifiedIn)
	}
	if stage.MarkVerified(&fs, "prod", now.Add(time.Hour)) {
		t.Error("MarkVerified() = true again: the first verification is never overwritten")
	}
	if got := *fs.VerifiedIn["prod"].VerifiedAt; !got.Equal(now) {
		t.Errorf("verifiedAt = %v, want the first %v", got, now)
	}
}

func TestHealthWait(t *testing.T) {
	healthy := &v1.StageHealth{Status: v1.HealthHealthy}
	holding := func(promotion string) []v1.StageHistoryEntry {
		return []v1.StageHistoryEntry{entry("f2", origin, promotion, 0), entry("f1", origin, "p1", -time.Hour)}
	}
	tests := []struct {
		name        string
		st          v1.StageStatus
		wantWaiting string
		wantVerify  bool
	}{
		{"nothing waits", v1.StageStatus{Health: healthy, FreightHistory: holding("p2")}, "", false},
		{"healthy, and the Stage holds what the Promotion delivered: verify",
			v1.StageStatus{Health: healthy, FreightHistory: holding("p2"), VerifyWhenHealthy: "p2"}, "p2", true},
		{"not healthy yet: wait on", v1.StageStatus{Health: &v1.StageHealth{Status: v1.HealthProgressing}, FreightHistory: holding("p2"), VerifyWhenHealthy: "p2"}, "", false},
		{"no health known yet: wait on", v1.StageStatus{FreightHistory: holding("p2"), VerifyWhenHealthy: "p2"}, "", false},
		{"healthy, but another Promotion delivered since: the wait ends unverified",
			v1.StageStatus{Health: healthy, FreightHistory: holding("p3"), VerifyWhenHealthy: "p2"}, "p2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waiting, verify := stage.Healthy(&tt.st)
			if waiting != tt.wantWaiting || verify != tt.wantVerify {
				t.Errorf("Healthy() = %q, %v; want %q, %v", waiting, verify, tt.wantWaiting, tt.wantVerify)
			}
		})
	}

	st := v1.StageStatus{Verification: "verification v failed"}
	if !stage.WaitForHealth(&st, "p2") || st.VerifyWhenHealthy != "p2" || st.Verification != stage.WaitingForHealth {
		t.Fatalf("WaitForHealth() left %+v", st)
	}
	if stage.WaitForHealth(&st, "p2") {
		t.Error("WaitForHealth() again reported a change")
	}
	if stage.EndHealthWait(&st, "p1") || st.VerifyWhenHealthy != "p2" {
		t.Errorf("EndHealthWait of a replaced wait changed the status: %+v", st)
	}
	if !stage.EndHealthWait(&st, "p2") || st.VerifyWhenHealthy != "" || st.Verification != "" {
		t.Errorf("EndHealthWait() left %+v", st)
	}
	st = v1.StageStatus{VerifyWhenHealthy: "p2", Verification: "verification v failed"}
	if !stage.EndHealthWait(&st, "p2") || st.Verification != "verification v failed" {
		t.Errorf("EndHealthWait() cleared a verification message it did not set: %+v", st)
	}
}

func TestSetVerification(t *testing.T) {
	st := v1.StageStatus{}
	if !stage.SetVerification(&st, "why") || st.Verification != "why" || stage.SetVerification(&st, "why") {
		t.Errorf("SetVerification: status %+v", st)
	}
}
