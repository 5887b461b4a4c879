package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// TestGetPages: dray get shows every item by default, following the pages; --limit shows one
// page and the command for the next, whose --continue shows the rest; a bad limit is refused.
func TestGetPages(t *testing.T) {
	server := up(t)
	files := map[string]string{"project.yaml": project}
	for i := range 3 {
		files[fmt.Sprintf("secret-%d.yaml", i)] = fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: token-%d, namespace: shop}
stringData: {token: "t%d"}
`, i, i)
	}
	if out, err := dray(t, server, "apply", "-f", writeManifests(t, files)); err != nil {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}
	out, err := dray(t, server, "get", "secrets")
	if err != nil || strings.Count(out, "token-") != 3 || strings.Contains(out, "more:") {
		t.Errorf("dray get secrets = %q, %v; want all three, no next page", out, err)
	}
	out, err = dray(t, server, "get", "secrets", "--limit", "2")
	next := regexp.MustCompile(`1 more: dray get secrets --limit 2 --continue (\S+)`).FindStringSubmatch(out)
	if err != nil || !strings.Contains(out, "token-0") || !strings.Contains(out, "token-1") || strings.Contains(out, "token-2") || next == nil {
		t.Fatalf("dray get secrets --limit 2 = %q, %v; want token-0 and token-1 and the command for 1 more", out, err)
	}
	out, err = dray(t, server, "get", "secrets", "--limit", "2", "--continue", next[1])
	if err != nil || !strings.Contains(out, "token-2") || strings.Contains(out, "token-0") || strings.Contains(out, "more:") {
		t.Errorf("dray get secrets --continue = %q, %v; want token-2 alone", out, err)
	}
	if _, err := dray(t, server, "get", "secrets", "--limit", "5000"); err == nil || !strings.Contains(err.Error(), "from 1 to 1000") {
		t.Errorf("dray get secrets --limit 5000 = %v, want the limit refused", err)
	}
}

// TestGetShowsRollbacksAndRejections: dray get stages marks Freight an auto-rollback
// delivered; dray get freight says where a Freight is rejected.
func TestGetShowsRollbacksAndRejections(t *testing.T) {
	var stages strings.Builder
	prod := v1.Stage{Status: v1.StageStatus{FreightSummary: "0123456789abcdef",
		FreightHistory: []v1.StageHistoryEntry{{Freight: "0123456789abcdef", Rollback: true}}}}
	prod.Metadata.Name = "prod"
	table, err := parseOutput("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := show(&stages, table, []v1.Stage{prod}, false, func() []column[v1.Stage] { return stageColumns(nil) }); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^prod\s+0123456\S* \(rollback\)`).MatchString(stages.String()) {
		t.Errorf("dray get stages does not mark the rollback:\n%s", stages.String())
	}
	var freight strings.Builder
	all, some := v1.Freight{}, v1.Freight{}
	all.Metadata.Name, some.Metadata.Name = "f-all", "f-some"
	all.Status.Rejected = &v1.FreightRejection{Reason: "broken"}
	some.Status.RejectedFor = map[string]v1.FreightRejection{"uat": {}, "prod": {}}
	wide, err := parseOutput("wide", nil) // REJECTED is a wide column
	if err != nil {
		t.Fatal(err)
	}
	if err := show(&freight, wide, []v1.Freight{all, some}, false, freightColumns); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^NAME.*\sREJECTED\s+ARTIFACTS$`, `(?m)^f-all\s.*\sall\s*$`, `(?m)^f-some\s.*\sprod,uat\s*$`} {
		if !regexp.MustCompile(want).MatchString(freight.String()) {
			t.Errorf("dray get freight does not match %s:\n%s", want, freight.String())
		}
	}
}

// TestGetShowsWindowsClassesAndSuperseded: dray get stages says whether a Stage's promotion
// windows are open, and -o wide when they next change and why; dray get promotions shows a
// Superseded phase, and -o wide each Promotion's class in the queue, a rollback's included.
func TestGetShowsWindowsClassesAndSuperseded(t *testing.T) {
	opens, closes := time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC), time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)
	frozen, open, none := v1.Stage{}, v1.Stage{}, v1.Stage{}
	frozen.Metadata.Name, open.Metadata.Name, none.Metadata.Name = "prod", "uat", "dev"
	frozen.Status.PromotionWindow = &v1.PromotionWindowStatus{Closed: true, Reason: `deny window "freeze" is open until 2026-12-08T06:00:00Z`, NextOpen: &opens}
	open.Status.PromotionWindow = &v1.PromotionWindowStatus{NextClose: &closes, NextCloseReason: `deny window "holidays"`}
	wide, err := parseOutput("wide", nil)
	if err != nil {
		t.Fatal(err)
	}
	var stages strings.Builder
	if err := show(&stages, wide, []v1.Stage{frozen, open, none}, false, func() []column[v1.Stage] { return stageColumns(nil) }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^NAME\s+FREIGHT\s+HEALTH\s+PAUSED\s+WINDOW\s+QUEUED\s.*\sWINDOW CHANGE$`,
		`(?m)^prod\s+no\s+closed\s+0\s.*\sopens 2026-12-08T06:00:00Z: deny window "freeze" is open until 2026-12-08T06:00:00Z$`,
		`(?m)^uat\s+no\s+open\s+0\s.*\scloses 2026-12-24T00:00:00Z: deny window "holidays"$`,
		`(?m)^dev\s+no\s+0\s+<unknown>\s*$`,
	} {
		if !regexp.MustCompile(want).MatchString(stages.String()) {
			t.Errorf("dray get stages -o wide does not match %s:\n%s", want, stages.String())
		}
	}
	promo := func(name, phase string, annotations map[string]string) v1.Promotion {
		var p v1.Promotion
		p.Metadata.Name, p.Metadata.Annotations, p.Spec.Stage, p.Spec.Freight, p.Status.Phase = name, annotations, "prod", "f1", phase
		return p
	}
	var promotions strings.Builder
	list := []v1.Promotion{
		promo("prod.rollback", v1.PhaseRunning, map[string]string{v1.AnnotationRollback: "true"}),
		promo("prod.auto", v1.PhaseSuperseded, map[string]string{v1.AnnotationCreateActor: v1.ActorAutoPromotion}),
		promo("prod.manual", v1.PhasePending, nil),
	}
	if err := show(&promotions, wide, list, false, func() []column[v1.Promotion] { return promotionColumns(nil) }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^NAME\s+STAGE\s+FREIGHT\s+PHASE\s+AGE\s+FREIGHT NAME\s+CLASS\s+MESSAGE$`,
		`(?m)^prod\.rollback\s+prod\s+f1\s+Running\s+\S+\s+f1\s+rollback\b`,
		`(?m)^prod\.auto\s+prod\s+f1\s+Superseded\s+\S+\s+f1\s+auto\b`,
		`(?m)^prod\.manual\s+prod\s+f1\s+Pending\s+\S+\s+f1\s+manual\b`,
	} {
		if !regexp.MustCompile(want).MatchString(promotions.String()) {
			t.Errorf("dray get promotions -o wide does not match %s:\n%s", want, promotions.String())
		}
	}
}
