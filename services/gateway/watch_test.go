package gateway

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// TestWatchPromotion: the watch streams the Promotion as it is, then each version the state
// service records, and ends once it has finished; a Promotion not recorded yet is 404.
// (Anonymous and under-privileged callers: TestEveryRouteNeedsIdentity walks this route.)
func TestWatchPromotion(t *testing.T) {
	base, _, a := testGateway(t)
	tok, _ := adminTokens.Load(base)
	put := func(phase string, steps ...v1.StepExecutionMetadata) {
		t.Helper()
		p := v1.Promotion{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: "Promotion"}, Metadata: v1.ObjectMeta{Name: "dev.1", Namespace: "shop"},
			Spec: v1.PromotionSpec{Stage: "dev", Freight: "f"}, Status: v1.PromotionStatus{Phase: phase, StepExecutionMetadata: steps}}
		b, _ := json.Marshal(&p)
		if _, err := a.Bus.Promotions.Put(t.Context(), bus.Key("shop", "dev.1"), b); err != nil {
			t.Fatal(err)
		}
	}
	u := base + "/api/v1/projects/shop/promotions/dev.1/watch"
	if code, e := sendAs(t, tok.(string), http.MethodGet, u, ""); code != http.StatusNotFound {
		t.Fatalf("watch of a Promotion not recorded yet: %d %q, want 404", code, e.Error)
	}
	put(v1.PhasePending)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok.(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("watch: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := bufio.NewScanner(resp.Body)
	next := func() (string, v1.Promotion) {
		t.Helper()
		var event string
		var p v1.Promotion
		for events.Scan() {
			line := events.Text()
			switch {
			case line == "" && event != "":
				return event, p
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &p); err != nil {
					t.Fatalf("data of %s: %v", event, err)
				}
			}
		}
		t.Fatalf("the stream ended: %v", events.Err())
		return "", p
	}
	if ev, p := next(); ev != "promotion" || p.Status.Phase != v1.PhasePending {
		t.Fatalf("first event %s %s, want the Promotion as it is (Pending)", ev, p.Status.Phase)
	}
	put(v1.PhaseRunning, v1.StepExecutionMetadata{Alias: "clone", Status: v1.PhaseRunning})
	if ev, p := next(); ev != "promotion" || p.Status.Phase != v1.PhaseRunning || p.Status.StepExecutionMetadata[0].Status != v1.PhaseRunning {
		t.Fatalf("second event %s %+v, want the Running version", ev, p.Status)
	}
	put(v1.PhaseSucceeded, v1.StepExecutionMetadata{Alias: "clone", Status: v1.PhaseSucceeded})
	if ev, p := next(); ev != "promotion" || p.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("third event %s %s, want the Succeeded version", ev, p.Status.Phase)
	}
	if events.Scan() {
		t.Errorf("the stream goes on after the Promotion finished: %q", events.Text())
	}
}
