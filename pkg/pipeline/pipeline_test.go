package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
)

var (
	now    = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	origin = v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
)

func stage(name string, src v1.FreightSources) *v1.Stage {
	s := &v1.Stage{Spec: v1.StageSpec{RequestedFreight: []v1.FreightRequest{{Origin: origin, Sources: src}}}}
	s.Metadata.Name = name
	return s
}

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

// freight builds a Freight verified in the named stages; "qa@-2h" also says it entered qa two
// hours ago and is still there.
func freight(name string, discovered time.Duration, verified ...string) v1.Freight {
	f := v1.Freight{Origin: origin, DiscoveredAt: at(discovered)}
	f.Metadata.Name = name
	f.Status.VerifiedIn = map[string]v1.VerifiedStage{}
	f.Status.CurrentlyIn = map[string]v1.CurrentStage{}
	for _, v := range verified {
		st, since, ok := strings.Cut(v, "@")
		f.Status.VerifiedIn[st] = v1.VerifiedStage{VerifiedAt: at(-time.Minute)}
		if ok {
			d, _ := time.ParseDuration(since)
			f.Status.CurrentlyIn[st] = v1.CurrentStage{Since: at(d)}
		}
	}
	return f
}

func TestAvailable(t *testing.T) {
	approved := freight("f", 0)
	approved.Status.ApprovedFor = map[string]v1.ApprovedStage{"prod": {ApprovedAt: at(0)}}
	otherOrigin := freight("f", 0)
	otherOrigin.Origin.Name = "other"
	longSoak := freight("f", 0, "qa")
	longSoak.Status.VerifiedIn["qa"] = v1.VerifiedStage{VerifiedAt: at(-3 * time.Hour), LongestSoak: "2h"}

	tests := []struct {
		name    string
		src     v1.FreightSources
		f       v1.Freight
		want    bool
		wantWhy string
	}{
		{"direct", v1.FreightSources{Direct: true}, freight("f", 0), true, ""},
		{"other origin", v1.FreightSources{Direct: true}, otherOrigin, false, `requests no Freight from Warehouse "other"`},
		{"not verified upstream", v1.FreightSources{Stages: []string{"qa"}}, freight("f", 0), false, `not verified in "qa"`},
		{"verified upstream", v1.FreightSources{Stages: []string{"qa"}}, freight("f", 0, "qa"), true, ""},
		{"approved bypasses", v1.FreightSources{Stages: []string{"qa"}}, approved, true, ""},
		{"OneOf: one of two", v1.FreightSources{Stages: []string{"qa", "uat"}}, freight("f", 0, "uat"), true, ""},
		{"All: one of two", v1.FreightSources{Stages: []string{"qa", "uat"}, AvailabilityStrategy: "All"}, freight("f", 0, "uat"), false, `not verified in "qa"`},
		{"All: both", v1.FreightSources{Stages: []string{"qa", "uat"}, AvailabilityStrategy: "All"}, freight("f", 0, "qa", "uat"), true, ""},
		{"soak not reached", v1.FreightSources{Stages: []string{"qa"}, RequiredSoakTime: "1h"}, freight("f", 0, "qa@-30m"), false, `soaked 30m0s of 1h0m0s in "qa"`},
		{"soak reached while in", v1.FreightSources{Stages: []string{"qa"}, RequiredSoakTime: "1h"}, freight("f", 0, "qa@-90m"), true, ""},
		{"soak recorded earlier", v1.FreightSources{Stages: []string{"qa"}, RequiredSoakTime: "1h"}, longSoak, true, ""},
		{"bad soak", v1.FreightSources{Stages: []string{"qa"}, RequiredSoakTime: "soon"}, freight("f", 0, "qa"), false, `requiredSoakTime: "soon" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := pipeline.Available(stage("prod", tt.src), &tt.f, now)
			if got != tt.want || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("Available = %v, %q; want %v, containing %q", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestSoakReadyAt(t *testing.T) {
	s := stage("prod", v1.FreightSources{Stages: []string{"qa"}, RequiredSoakTime: "1h"})
	f := freight("f", 0, "qa@-20m")
	if got, ok := pipeline.SoakReadyAt(s, &f, now); !ok || !got.Equal(now.Add(40*time.Minute)) {
		t.Errorf("SoakReadyAt = %v, %v; want %v", got, ok, now.Add(40*time.Minute))
	}
	notIn := freight("f", 0, "qa")
	if _, ok := pipeline.SoakReadyAt(s, &notIn, now); ok {
		t.Error("SoakReadyAt of Freight no longer in qa: waiting would not help")
	}
}

func TestCandidate(t *testing.T) {
	s := stage("staging", v1.FreightSources{Stages: []string{"dev"}})
	all := []v1.Freight{
		freight("a-old", -3*time.Hour, "dev"),
		freight("b-newest-unverified", 0),
		freight("c-new", -time.Hour, "dev"),
		freight("d-tie", -time.Hour, "dev"),
	}
	if got := pipeline.Candidate(s, origin, all, now); got == nil || got.Metadata.Name != "d-tie" {
		t.Errorf("Candidate = %v, want d-tie (newest available; ties by name descending)", got)
	}
	if got := pipeline.Candidate(s, v1.FreightOrigin{Kind: "Warehouse", Name: "none"}, all, now); got != nil {
		t.Errorf("Candidate for another origin = %v, want nil", got.Metadata.Name)
	}
}

// TestCandidateMatchUpstream: with MatchUpstream the candidate is the Freight the upstream
// Stage holds, though newer Freight was verified there (it was rolled back), and there is
// none while the upstream Stage holds two.
func TestCandidateMatchUpstream(t *testing.T) {
	s := stage("staging", v1.FreightSources{Stages: []string{"dev"}, AutoPromotionOptions: &v1.AutoPromotionOptions{SelectionPolicy: v1.SelectMatchUpstream}})
	all := []v1.Freight{
		freight("a-held", -3*time.Hour, "dev@-1h"),
		freight("b-newer-left", -time.Hour, "dev"),
	}
	if got := pipeline.Candidate(s, origin, all, now); got == nil || got.Metadata.Name != "a-held" {
		t.Errorf("Candidate = %v, want a-held, the Freight dev holds", got)
	}
	newest := stage("staging", v1.FreightSources{Stages: []string{"dev"}})
	if got := pipeline.Candidate(newest, origin, all, now); got == nil || got.Metadata.Name != "b-newer-left" {
		t.Errorf("Candidate with NewestFreight = %v, want b-newer-left", got)
	}
	all = append(all, freight("c-also-held", -2*time.Hour, "dev@-5m"))
	if got := pipeline.Candidate(s, origin, all, now); got != nil {
		t.Errorf("Candidate while dev holds two = %v, want nil", got.Metadata.Name)
	}
}

func TestAutoPromotionEnabled(t *testing.T) {
	cfg := &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{
		{StageSelector: &v1.StageSelector{Name: "prod"}, AutoPromotionEnabled: false},
		{StageSelector: &v1.StageSelector{Name: "glob:dev-*"}, AutoPromotionEnabled: true},
		{StageSelector: &v1.StageSelector{Name: "regex:^qa", MatchLabels: map[string]string{"tier": "low"}}, AutoPromotionEnabled: true},
		{Stage: "uat", AutoPromotionEnabled: true},
		{StageSelector: &v1.StageSelector{}, AutoPromotionEnabled: true}, // matches everything left
	}}}
	tests := []struct {
		stage  string
		labels map[string]string
		want   bool
	}{
		{"prod", nil, false}, // the first match wins, even when it says false
		{"dev-eu", nil, true},
		{"qa-1", map[string]string{"tier": "low"}, true},
		{"qa-2", map[string]string{"tier": "high"}, true}, // falls through to the catch-all
		{"uat", nil, true},
	}
	for _, tt := range tests {
		s := stage(tt.stage, v1.FreightSources{Direct: true})
		s.Metadata.Labels = tt.labels
		if got := pipeline.AutoPromotionEnabled(cfg, s); got != tt.want {
			t.Errorf("AutoPromotionEnabled(%s) = %v, want %v", tt.stage, got, tt.want)
		}
	}
	if pipeline.AutoPromotionEnabled(nil, stage("dev", v1.FreightSources{})) {
		t.Error("no ProjectConfig must mean auto-promotion disabled")
	}
	narrow := &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{{Stage: "dev", AutoPromotionEnabled: true}}}}
	if pipeline.AutoPromotionEnabled(narrow, stage("staging", v1.FreightSources{})) {
		t.Error("no matching policy must mean auto-promotion disabled")
	}
}

func TestCurrent(t *testing.T) {
	web, api := v1.FreightOrigin{Kind: "Warehouse", Name: "web"}, v1.FreightOrigin{Name: "api"}
	history := []v1.StageHistoryEntry{
		{Freight: "web3", Origin: web}, {Freight: "api1", Origin: api}, {Freight: "web2", Origin: web},
		{Freight: "api0", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "api"}},
	}
	var got []string
	for _, h := range pipeline.Current(history) {
		got = append(got, h.Freight)
	}
	if want := "web3 api1"; strings.Join(got, " ") != want {
		t.Errorf("Current() = %v, want %s: the newest of each origin", got, want)
	}
}

func TestAutoRollbackFor(t *testing.T) {
	prod := &v1.Stage{}
	prod.Metadata.Name = "prod"
	cfg := func(ar *v1.AutoRollback) *v1.ProjectConfig {
		return &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{
			{Stage: "qa", AutoRollback: &v1.AutoRollback{}}, {Stage: "prod", AutoRollback: ar}}}}
	}
	tests := []struct {
		name    string
		cfg     *v1.ProjectConfig
		want    *pipeline.RollbackPolicy
		wantErr string
	}{
		{name: "no config: off"},
		{name: "the matching policy has none: off", cfg: cfg(nil)},
		{name: "defaults", cfg: cfg(&v1.AutoRollback{}),
			want: &pipeline.RollbackPolicy{OnVerification: []string{v1.PhaseFailed}, OnPromotion: []string{}, MaxAge: 20 * time.Minute}},
		{name: "Kargo's Error is Errored", cfg: cfg(&v1.AutoRollback{OnVerification: []string{"Error"}, OnPromotion: []string{"Failed", "Errored"}, MaxAge: "1h"}),
			want: &pipeline.RollbackPolicy{OnVerification: []string{v1.PhaseErrored}, OnPromotion: []string{v1.PhaseFailed, v1.PhaseErrored}, MaxAge: time.Hour}},
		{name: "a negative maxAge names the field", cfg: cfg(&v1.AutoRollback{MaxAge: "-1m"}),
			wantErr: `spec.promotionPolicies[1].autoRollback.maxAge: "-1m" must be positive`},
		{name: "a bad phase names the field", cfg: cfg(&v1.AutoRollback{OnPromotion: []string{"Aborted"}}),
			wantErr: `spec.promotionPolicies[1].autoRollback.onPromotion[0]: "Aborted" is not a phase that rolls back: use Failed or Errored`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pipeline.AutoRollbackFor(tt.cfg, prod)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("AutoRollbackFor() error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AutoRollbackFor() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRejected (docs/resources.md#freight-rejection): a rejected Freight is available to no
// Stage it is rejected for, approved or not, and auto-promotion picks the newest one left.
func TestRejected(t *testing.T) {
	s := stage("prod", v1.FreightSources{Stages: []string{"qa"}})
	forProd := freight("f2", 0, "qa")
	forProd.Status.RejectedFor = map[string]v1.FreightRejection{"prod": {By: "email:ana@example.com", Reason: "CVE-2026-4711"}}
	forProd.Status.ApprovedFor = map[string]v1.ApprovedStage{"prod": {ApprovedAt: at(0)}}
	everywhere := freight("f3", time.Minute, "qa")
	everywhere.Status.Rejected = &v1.FreightRejection{Reason: "broken build"}
	tests := []struct {
		name    string
		f       v1.Freight
		stage   string
		wantWhy string
	}{
		{"for the Stage, though approved", forProd, "prod",
			`Freight f2 is rejected by email:ana@example.com: CVE-2026-4711; dray reject f2 --undo --stage prod lets it be promoted`},
		{"for another Stage: available", forProd, "uat", ""},
		{"for every Stage", everywhere, "prod", `Freight f3 is rejected for every Stage: broken build; dray reject f3 --undo lets it be promoted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := stage(tt.stage, v1.FreightSources{Stages: []string{"qa"}})
			ok, why := pipeline.Available(st, &tt.f, now)
			if ok != (tt.wantWhy == "") || why != tt.wantWhy {
				t.Errorf("Available() = %v, %q; want %v, %q", ok, why, tt.wantWhy == "", tt.wantWhy)
			}
		})
	}
	all := []v1.Freight{freight("f1", -time.Hour, "qa"), forProd, everywhere}
	if got := pipeline.Candidate(s, origin, all, now); got == nil || got.Metadata.Name != "f1" {
		t.Errorf("Candidate = %v, want f1, the newest Freight not rejected", got)
	}
}

func TestAutoPromotionMinInterval(t *testing.T) {
	prod := stage("prod", v1.FreightSources{Direct: true})
	cfg := func(interval string) *v1.ProjectConfig {
		return &v1.ProjectConfig{Spec: v1.ProjectConfigSpec{PromotionPolicies: []v1.PromotionPolicy{{Stage: "prod", AutoPromotionEnabled: true, AutoPromotionMinInterval: interval}}}}
	}
	for _, tt := range []struct {
		cfg     *v1.ProjectConfig
		want    time.Duration
		wantErr string
	}{
		{cfg: nil},
		{cfg: cfg("")},
		{cfg: cfg("30m"), want: 30 * time.Minute},
		{cfg: cfg("-1m"), wantErr: `spec.promotionPolicies[0].autoPromotionMinInterval: "-1m" must be positive`},
	} {
		got, err := pipeline.AutoPromotionMinInterval(tt.cfg, prod)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
			t.Errorf("AutoPromotionMinInterval() = %v, %v; want %v, %q", got, err, tt.want, tt.wantErr)
		}
	}
}
