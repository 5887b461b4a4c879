package ownsteps_test

import (
	"encoding/json"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/scheduler/internal/ownsteps"
)

// TestOwnSteps runs each step against a real bus: set-metadata passes its updates on when
// every target exists, errors naming a missing one and fails on a bad config;
// set-freight-alias renames a Freight's alias and fails for a missing Freight or a bad
// config. The scheduler finds neither a workspace step nor an unknown one here.
func TestOwnSteps(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	stage, _ := json.Marshal(v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"}})
	if _, err := b.Resources.Put(ctx, bus.ResourceKey("demo", v1.KindStage, "dev"), stage); err != nil {
		t.Fatal(err)
	}
	freight, _ := json.Marshal(v1.Freight{Metadata: v1.ObjectMeta{Name: "abc", Namespace: "demo"}, Alias: "happy-cat"})
	if _, err := b.Freight.Create(ctx, bus.Key("demo", "abc"), freight); err != nil {
		t.Fatal(err)
	}
	update := func(kind, name string) map[string]any {
		return map[string]any{"kind": kind, "name": name, "values": map[string]any{"owner": "team-a"}}
	}
	for _, tc := range []struct {
		name, uses     string
		config         map[string]any
		status, reason string
		updates        int
	}{
		{"metadata", "set-metadata", map[string]any{"updates": []any{update("Stage", "dev"), update("Freight", "abc")}}, v1.StepSucceeded, "", 2},
		{"metadata of a missing Stage", "set-metadata", map[string]any{"updates": []any{update("Stage", "qa")}}, v1.StepErrored, "TargetNotFound", 0},
		{"metadata without updates", "set-metadata", map[string]any{"updates": "all"}, v1.StepFailed, "InvalidConfig", 0},
		{"alias", "set-freight-alias", map[string]any{"name": "abc", "alias": "brave-dog"}, v1.StepSucceeded, "", 0},
		{"alias of a missing Freight", "set-freight-alias", map[string]any{"name": "zzz", "alias": "calm-owl"}, v1.StepFailed, "AliasNotSet", 0},
		{"alias without a name", "set-freight-alias", map[string]any{"alias": "calm-owl"}, v1.StepFailed, "AliasNotSet", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := ownsteps.Find(tc.uses)
			if !ok {
				t.Fatalf("Find(%s): not found", tc.uses)
			}
			r, err := step(ctx, b, &v1.StepJob{Project: "demo", Promotion: "dev.01a.abc", Alias: "step-1", Uses: tc.uses, Config: tc.config})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Reason != tc.reason || len(r.Metadata) != tc.updates {
				t.Errorf("result %s %s %q with %d updates; want %s %s with %d", r.Status, r.Reason, r.Message, len(r.Metadata), tc.status, tc.reason, tc.updates)
			}
		})
	}
	if f, err := store.Freight(ctx, b, "demo", "abc"); err != nil || f.Alias != "brave-dog" {
		t.Errorf("after set-freight-alias: %v, %v; want Freight abc aliased brave-dog", f, err)
	}
	for _, uses := range []string{"git-clone", "wait-for-approval", ""} {
		if _, ok := ownsteps.Find(uses); ok {
			t.Errorf("Find(%q) found a step; want none", uses)
		}
	}
}
