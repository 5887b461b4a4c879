package e2e_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/store"
)

// TestRejectFreight (docs/resources.md#freight-rejection): Freight rejected for prod is not
// auto-promoted there (a witness Stage takes it) and a person's promote is refused with the
// reason; taking the rejection back lets auto-promotion take it. Both commands are in the
// audit trail.
func TestRejectFreight(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	startControlPlane(t, ns)
	for _, name := range []string{"prod", "witness"} {
		putResource(t, b, project, v1.KindStage, name, verifyingStage(name, v1.FreightSources{Direct: true}))
	}
	start := time.Now().Add(-time.Hour)
	put := func(tag string, n int) string {
		at := start.Add(time.Duration(n) * time.Minute)
		return putFreight(t, b, project, &v1.Freight{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, DiscoveredAt: &at,
			Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag}},
		})
	}
	announce := func(name string) {
		if err := b.PublishEvent(t.Context(), project, v1.TypeFreightCreated, "created/"+name, "freight/"+name,
			v1.FreightEvent{Project: project, Freight: name, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}); err != nil {
			t.Fatal(err)
		}
	}
	holds := func(stage, f string) func() bool {
		return func() bool {
			s := stageStatus(t, b, stage)
			return len(s.FreightHistory) > 0 && s.FreightHistory[0].Freight == f && s.CurrentPromotion == nil && len(s.Queued) == 0
		}
	}
	reject := func(id string, cmd v1.RejectCommand) {
		if err := b.Publish(t.Context(), bus.CommandSubject(project, "reject"), id, cmd); err != nil {
			t.Fatal(err)
		}
	}

	// prod auto-promotes only once v2 is rejected there, so nothing promotes v2 before.
	putProjectConfig(t, b, autoPromoting("witness"))
	f1 := put("v1", 1)
	announce(f1)
	waitFor(t, "the witness to take v1", holds("witness", f1))
	f2 := put("v2", 2)
	reject("reject-1", v1.RejectCommand{Freight: f2, Stage: "prod", Actor: "email:ana@example.com", Reason: "CVE-2026-4711"})
	waitFor(t, "the rejection to be recorded", func() bool {
		f, err := store.Freight(t.Context(), b, project, f2)
		return err == nil && f.Status.RejectedFor["prod"].Reason == "CVE-2026-4711"
	})
	putProjectConfig(t, b, autoPromoting("prod", "witness"))
	announce(f2)
	waitFor(t, "the witness to take v2", holds("witness", f2))
	waitFor(t, "prod to take v1, the newest Freight not rejected there", holds("prod", f1))
	publishPromote(t, ns, "prod", f2)
	waitFor(t, "the promote of v2 to be refused", func() bool {
		for _, e := range events(t, b, project) {
			if e.Type == v1.TypeCommandRejected && strings.Contains(string(e.Data), "CVE-2026-4711") {
				return true
			}
		}
		return false
	})

	reject("unreject-1", v1.RejectCommand{Freight: f2, Stage: "prod", Actor: "email:ana@example.com", Undo: true})
	waitFor(t, "prod to take v2 once it is no longer rejected", holds("prod", f2))

	list, err := audit.Query(t.Context(), b.JS, audit.Filter{Project: project, Verb: "reject"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Records) != 2 || list.Records[0].Actor != "email:ana@example.com" || list.Records[0].Resource != "freights" || list.Records[0].Name != f2 {
		t.Errorf("audit records of reject = %+v, want two by email:ana@example.com naming freights/%s", list.Records, f2)
	}
	counts := countTypes(t, events(t, b, project))
	if counts[v1.TypeFreightRejected] != 1 || counts[v1.TypeFreightUnrejected] != 1 {
		t.Errorf("freight.rejected, freight.unrejected events = %d, %d; want 1 and 1", counts[v1.TypeFreightRejected], counts[v1.TypeFreightUnrejected])
	}
}
