package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
)

// TestUpArgoCDURL: dray up --argocd-url (default $DRAY_ARGOCD_URL) reaches the gateway, so a
// Promotion's page links the Application argocd-update synced into that Argo CD; an address
// that is not http(s) is refused before anything starts.
func TestUpArgoCDURL(t *testing.T) {
	t.Setenv("DRAY_ARGOCD_URL", "https://cd.example.com")
	up := newUp()
	f := up.Flags().Lookup("argocd-url")
	if f == nil || f.DefValue != "https://cd.example.com" {
		t.Fatalf("dray up --argocd-url = %+v, want a flag defaulting to $DRAY_ARGOCD_URL", f)
	}
	up.SetArgs([]string{"--data-dir", t.TempDir(), "--argocd-url", "argocd.example.com"})
	up.SetOut(io.Discard)
	up.SetErr(io.Discard)
	if err := up.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), "--argocd-url") {
		t.Errorf("dray up --argocd-url argocd.example.com: %v, want it refused naming --argocd-url", err)
	}

	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1, ArgoCDURL: f.DefValue,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor: executor.Options{CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("dray up: %v", err)
	}
	t.Cleanup(in.Stop)
	nc, err := in.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b, err := bus.New(t.Context(), nc, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := v1.Promotion{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindPromotion},
		Metadata: v1.ObjectMeta{Name: "prod.sync", Namespace: "shop"},
		Spec:     v1.PromotionSpec{Stage: "prod", Freight: "abc"},
		Status: v1.PromotionStatus{Phase: v1.PhaseSucceeded, StartedAt: &now, FinishedAt: &now,
			StepExecutionMetadata: []v1.StepExecutionMetadata{{Alias: "sync", Uses: "argocd-update", Status: v1.StepSucceeded, Attempts: 1}},
			State:                 map[string]map[string]any{"sync": {"apps": []any{map[string]any{"name": "shop-prod", "namespace": "argocd"}}}}}}
	data, _ := json.Marshal(p)
	if _, err := b.Promotions.Put(t.Context(), bus.Key("shop", "prod.sync"), data); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, in.URL+"/projects/shop/promotions/prod.sync", nil)
	req.Header.Set("Authorization", "Bearer "+in.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `href="https://cd.example.com/applications/argocd/shop-prod"`; !strings.Contains(string(body), want) {
		t.Errorf("the Promotion's page under dray up --argocd-url lacks %s: %d\n%s", want, resp.StatusCode, body)
	}
}
