package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/bus"
)

// lastSequences records the last sequence of every stream, the streams behind the buckets
// (KV_dray-resources, KV_dray-freight, …) and the object store included.
func lastSequences(t *testing.T, a *api) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	names := a.Bus.JS.StreamNames(t.Context())
	for n := range names.Name() {
		s, err := a.Bus.JS.Stream(t.Context(), n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = s.CachedInfo().State.LastSeq
	}
	if names.Err() != nil {
		t.Fatal(names.Err())
	}
	return out
}

const (
	warehouseDoc = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: %s, namespace: demo}
spec:
  subscriptions:
  - image: {repoURL: ghcr.io/example/app%s}
`
	freightDoc = `apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata: {name: %s, namespace: demo}
alias: %s
origin: {kind: Warehouse, name: %s}
images: [{repoURL: ghcr.io/example/app, tag: "%s"}]
`
	stageDoc = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: prod, namespace: demo}
spec:
  requestedFreight: [{origin: {kind: Warehouse, name: app}, sources: {direct: true}}]
  promotionTemplate:
    spec:
      steps:
%s`
)

func step(value string) string {
	return fmt.Sprintf("      - uses: compose-output\n        config: {x: %q}\n", value)
}

// TestRejectedApplyStoresNothing: each batch with one bad resource among good ones is
// refused, naming the resource and field, and no stream or bucket moves.
func TestRejectedApplyStoresNothing(t *testing.T) {
	base, _, a := testGateway(t)
	good := fmt.Sprintf(warehouseDoc, "app", "") + "---\n" + fmt.Sprintf(freightDoc, "f1", "taken", "app", "1.0.0")
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", good); code != http.StatusOK {
		t.Fatalf("apply the good batch: %d %s", code, e.Error)
	}
	fresh := fmt.Sprintf(warehouseDoc, "other", "-other") + "---\n" // stored first if checks ran late
	tests := []struct{ name, batch, want string }{
		{"alias collision", fresh + fmt.Sprintf(freightDoc, "f2", "taken", "app", "2.0.0"), `alias "taken" is taken`},
		{"alias twice in the batch", fresh + fmt.Sprintf(freightDoc, "f3", "twice", "app", "3.0.0") + "---\n" + fmt.Sprintf(freightDoc, "f4", "twice", "app", "4.0.0"), `alias "twice" is taken`},
		{"unknown function", fresh + fmt.Sprintf(stageDoc, step("${{ nope(1) }}")), `unknown function "nope"`},
		{"unclosed expression", fresh + fmt.Sprintf(stageDoc, step("${{ vars.x")), "unclosed expression"},
		{"broken expression", fresh + fmt.Sprintf(stageDoc, step("${{ vars.x + }}")), "unexpected token"},
		{"expression that burns CPU", fresh + fmt.Sprintf(stageDoc, step("${{ len(map(1..5000, {len(map(1..5000, {# * 2}))})) }}")), "exceeds its budget"},
		{"unknown Warehouse", fresh + fmt.Sprintf(freightDoc, "f5", "lost", "nowhere", "5.0.0"), `Warehouse "nowhere" does not exist`},
		{"invalid tag regex", fresh + strings.Replace(fmt.Sprintf(warehouseDoc, "bad", "-bad"), "-bad}", "-bad, allowTagsRegexes: ['(']}", 1), "not a valid RE2 expression"},
		{"20,000 steps", fresh + fmt.Sprintf(stageDoc, strings.Repeat("      - {uses: fail}\n", 20000)), "more than the limit of 1000"},
		{"unknown task", fresh + fmt.Sprintf(stageDoc, "      - task: {name: missing}\n"), `PromotionTask "missing" does not exist`},
		{"unknown upstream Stage", fresh + strings.Replace(fmt.Sprintf(stageDoc, step("x")), "sources: {direct: true}", "sources: {stages: [qa]}", 1), `Stage "qa" does not exist`},
		{"unknown channel", fresh + fmt.Sprintf(stageDoc, "      - uses: send-message\n        config: {channel: {kind: MessageChannel, name: ops}, message: hi}\n"), `MessageChannel "ops" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := lastSequences(t, a)
			code, e := send(t, http.MethodPost, base+"/api/v1/resources", tt.batch)
			if code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, tt.want) {
				t.Errorf("apply = %d %.300q, want 422 containing %q", code, e.Error, tt.want)
			}
			if len(e.Problems) == 0 || e.Problems[0].Resource == "" {
				t.Errorf("apply names no resource: %+v", e.Problems)
			}
			after := lastSequences(t, a)
			for stream, seq := range before {
				if stream == bus.StreamAudit {
					continue // the refusal is recorded: that is the audit trail's job
				}
				if after[stream] != seq {
					t.Errorf("stream %s moved from %d to %d: the refused batch stored something", stream, seq, after[stream])
				}
			}
		})
	}
}

// TestApplyTooLarge: a body over the limit is refused by its size, naming the limit.
func TestApplyTooLarge(t *testing.T) {
	base, _, _ := testGateway(t)
	code, e := send(t, http.MethodPost, base+"/api/v1/resources", strings.Repeat("#", maxApplyBytes+1))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(e.Error, "8 MiB") {
		t.Fatalf("apply of 8 MiB + 1 = %d %q, want 413 naming the limit", code, e.Error)
	}
}

const eventRouterDoc = `apiVersion: ee.kargo.akuity.io/v1alpha1
kind: EventRouter
metadata: {name: prod-failures, namespace: demo}
spec:
  types: [PromotionFailed, PromotionErrored]
  when: "event.stageName == 'prod'"
  channels:
  - {name: devops-team-slack, kind: MessageChannel}
  output: "Promotion ${{ event.promotion }} failed: ${{ event.message }}"
`

// TestApplyEventRouter: Kargo's EventRouter manifest is accepted as is once its channel
// exists; pointing at a missing channel is refused naming the router and the field.
func TestApplyEventRouter(t *testing.T) {
	base, _, _ := testGateway(t)
	code, e := send(t, http.MethodPost, base+"/api/v1/resources", eventRouterDoc)
	if code != http.StatusUnprocessableEntity || !strings.Contains(e.Error, `MessageChannel "devops-team-slack" does not exist`) {
		t.Fatalf("apply without the channel = %d %.300q, want 422 naming the channel", code, e.Error)
	}
	if len(e.Problems) != 1 || e.Problems[0].Resource != "EventRouter/prod-failures" || e.Problems[0].Path != "spec.channels[0].name" {
		t.Errorf("problems = %+v, want one at EventRouter/prod-failures spec.channels[0].name", e.Problems)
	}
	channel := `apiVersion: kargo.akuity.io/v1alpha1
kind: MessageChannel
metadata: {name: devops-team-slack, namespace: demo}
spec: {secretRef: {name: slack}, slack: {}}
---
`
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", channel+eventRouterDoc); code != http.StatusOK {
		t.Fatalf("apply with the channel = %d %s, want 200", code, e.Error)
	}
	bad := strings.Replace(eventRouterDoc, "PromotionErrored", "PromotionExploded", 1)
	code, e = send(t, http.MethodPost, base+"/api/v1/resources", bad)
	if code != http.StatusUnprocessableEntity || len(e.Problems) == 0 || e.Problems[0].Path != "spec.types[1]" {
		t.Errorf("apply with an unknown type = %d %+v, want 422 at spec.types[1]", code, e.Problems)
	}
}
