package main

import (
	"regexp"
	"strings"
	"testing"
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
	for _, verb := range []string{"pause", "resume"} {
		if out, err := dray(t, server, verb, "dev", "--reason", "test"); err != nil || !strings.Contains(out, verb+" of stage dev requested") {
			t.Errorf("dray %s = %v\n%s", verb, err, out)
		}
	}
	if out, err := dray(t, server, "verify", "dev"); err == nil || !strings.Contains(out+err.Error(), "no spec.verification.steps") {
		t.Errorf("dray verify of a Stage without verification steps = %v\n%s", err, out)
	}
}
