package verification_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/services/state/internal/records"
	"github.com/drayhq/dray/services/state/internal/verification"
)

// TestVerify: a Stage with no verification verifies the delivered Freight at once (the
// Freight's verifiedIn, the event) and creates nothing; one whose verification Dray cannot
// run says why on the Stage and in a freight.verification.failed event.
func TestVerify(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	log := slog.New(slog.DiscardHandler)
	created := 0
	v := &verification.Verifier{Bus: b, Records: records.New(b, log, nil),
		Create: func(context.Context, *v1.PromotionRecord) error { created++; return nil }}
	origin := v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "app"}
	data, _ := json.Marshal(v1.Freight{Metadata: v1.ObjectMeta{Name: "abc", Namespace: "demo"}, Origin: origin})
	if _, err := b.Freight.Create(ctx, bus.Key("demo", "abc"), data); err != nil {
		t.Fatal(err)
	}
	p := &v1.Promotion{Metadata: v1.ObjectMeta{Name: "dev.01j.abc", Namespace: "demo"}, Spec: v1.PromotionSpec{Stage: "dev", Freight: "abc"},
		Status: v1.PromotionStatus{Phase: v1.PhaseSucceeded}}
	dev := &v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"}}
	// A status is created only for a Stage whose resource exists.
	data, _ = json.Marshal(dev)
	if _, err := b.Resources.Put(ctx, bus.ResourceKey("demo", v1.KindStage, "dev"), data); err != nil {
		t.Fatal(err)
	}
	events := func(eventType string) bool {
		t.Helper()
		stream, err := b.JS.Stream(ctx, bus.StreamEvents)
		if err != nil {
			t.Fatal(err)
		}
		_, err = stream.GetLastMsgForSubject(ctx, bus.EventSubject("demo", eventType))
		return err == nil
	}

	if err := v.Verify(ctx, p, dev); err != nil {
		t.Fatal(err)
	}
	var f v1.Freight
	if _, err := b.GetJSON(ctx, b.Freight, bus.Key("demo", "abc"), &f); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Status.VerifiedIn["dev"]; !ok || created != 0 || !events(v1.TypeFreightVerified) {
		t.Errorf("after Verify: verifiedIn %v, %d created, freight.verified sent %v; want verified in dev at once, announced, nothing created",
			f.Status.VerifiedIn, created, events(v1.TypeFreightVerified))
	}

	dev.Spec.Verification = &v1.Verification{AnalysisTemplates: []v1.AnalysisTemplateReference{{Name: "smoke"}}}
	if err := v.Verify(ctx, p, dev); err != nil {
		t.Fatal(err)
	}
	var st v1.StageStatus
	if _, err := b.GetJSON(ctx, b.Stages, bus.Key("demo", "dev"), &st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Verification, "AnalysisTemplates") || !events(v1.TypeFreightVerificationFailed) {
		t.Errorf("after Verify with AnalysisTemplates: Stage says %q, failed event sent %v; want why, announced",
			st.Verification, events(v1.TypeFreightVerificationFailed))
	}
}
