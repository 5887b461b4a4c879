package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCLIPipelineCommands: dray alias, approve, pause and resume against dray up, and their
// refusals.
func TestCLIPipelineCommands(t *testing.T) {
	server := up(t)
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "freight.yaml": freight,
		"stage.yaml": strings.Replace(stage, "REPO", "https://example.com/x.git", 1)})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "alias", "quiet-lynx", "calm-otter"); err != nil || !strings.Contains(out, "is now calm-otter") {
		t.Fatalf("dray alias = %v\n%s", err, out)
	}
	if out, _ := dray(t, server, "get", "freight"); !regexp.MustCompile(`(?m)\scalm-otter\s`).MatchString(out) {
		t.Errorf("dray get freight after dray alias:\n%s", out)
	}
	if out, err := dray(t, server, "approve", "calm-otter", "--stage", "nowhere"); err == nil {
		t.Errorf("dray approve for a missing Stage succeeded:\n%s", out)
	}
	if out, err := dray(t, server, "approve", "calm-otter", "--stage", "dev", "--reason", "checked"); err != nil || !strings.Contains(out, "requested") {
		t.Errorf("dray approve = %v\n%s", err, out)
	}
	// dray reject: a rejected Freight shows in dray get freight, and promoting it is refused
	// with the reason; dray unreject takes it back.
	if out, err := dray(t, server, "reject", "nowhere"); err == nil || !strings.Contains(out+err.Error(), `freight "nowhere"`) {
		t.Errorf("dray reject of a missing Freight = %v, want an error naming it\n%s", err, out)
	}
	if out, err := dray(t, server, "reject", "calm-otter", "--stage", "dev", "--reason", "CVE-2026-4711"); err != nil || !strings.Contains(out, "rejection of freight calm-otter for stage dev requested") {
		t.Fatalf("dray reject = %v\n%s", err, out)
	}
	rejectedIn := regexp.MustCompile(`(?m)\scalm-otter\s.*\sdev\s+\S*$`) // REJECTED, then ARTIFACTS
	waitCLI(t, "dray get freight -o wide to show the rejection", func() bool {
		out, _ := dray(t, server, "get", "freight", "-o", "wide")
		return rejectedIn.MatchString(out)
	})
	if out, err := dray(t, server, "promote", "--stage", "dev", "--freight", "calm-otter"); err == nil || !strings.Contains(out+err.Error(), "CVE-2026-4711") {
		t.Errorf("dray promote of a rejected Freight = %v, want a refusal saying why\n%s", err, out)
	}
	if out, err := dray(t, server, "unreject", "calm-otter", "--stage", "dev"); err != nil || !strings.Contains(out, "undoing the rejection") {
		t.Fatalf("dray unreject = %v\n%s", err, out)
	}
	waitCLI(t, "the rejection to be taken back", func() bool {
		out, _ := dray(t, server, "get", "freight", "-o", "wide")
		return !rejectedIn.MatchString(out)
	})
	for _, verb := range []string{"pause", "resume"} {
		if out, err := dray(t, server, verb, "dev", "--reason", "test"); err != nil || !strings.Contains(out, verb+" of stage dev requested") {
			t.Errorf("dray %s = %v\n%s", verb, err, out)
		}
	}
	if out, err := dray(t, server, "verify", "dev"); err == nil || !strings.Contains(out+err.Error(), "no spec.verification.steps") {
		t.Errorf("dray verify of a Stage without verification steps = %v\n%s", err, out)
	}
}

// waitCLI polls ok until it holds, failing the test after a deadline.
func waitCLI(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
