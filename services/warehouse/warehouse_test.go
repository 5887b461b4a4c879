package warehouse_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/warehouse"
)

const project = "shop"

// wait is how long a test waits for the service to react; it bounds a hang, it is not a
// timing assertion.
const wait = 60 * time.Second

// start runs the warehouse service on a fresh embedded NATS until the test ends.
func start(t *testing.T, opts warehouse.Options) *bus.Bus {
	t.Helper()
	b := bustest.Start(t).Connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d := service.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: b, Metrics: prometheus.NewRegistry()}
	go func() { done <- warehouse.Run(ctx, opts, d) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil after its context ended", err)
		}
	})
	return b
}

// apply stores a Warehouse as dray apply does.
func apply(t *testing.T, b *bus.Bus, name string, spec v1.WarehouseSpec) {
	t.Helper()
	wh := v1.Warehouse{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		Spec:     spec,
	}
	data, err := json.Marshal(&wh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resources.Put(t.Context(), bus.ResourceKey(project, v1.KindWarehouse, name), data); err != nil {
		t.Fatal(err)
	}
}

// refresh publishes a refresh command as the gateway does.
func refresh(t *testing.T, b *bus.Bus, name, id string) {
	t.Helper()
	cmd := v1.RefreshCommand{Project: project, Warehouse: name, ID: id}
	if err := b.Publish(t.Context(), bus.CommandSubject(project, "refresh"), "refresh/"+project+"/"+name+"/"+id, &cmd); err != nil {
		t.Fatal(err)
	}
}

// waitStatus watches a Warehouse's recorded status until ok accepts it.
func waitStatus(t *testing.T, b *bus.Bus, name, what string, ok func(v1.WarehouseStatus) bool) v1.WarehouseStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	w, err := b.Warehouses.Watch(ctx, bus.Key(project, name))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	var last v1.WarehouseStatus
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("warehouse %s: no status with %s within %s; last status: %+v", name, what, wait, last)
		case e := <-w.Updates():
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			last = v1.WarehouseStatus{}
			if err := json.Unmarshal(e.Value(), &last); err != nil {
				t.Fatal(err)
			}
			if ok(last) {
				return last
			}
		}
	}
}

func condition(st v1.WarehouseStatus, typ string) v1.Condition {
	for _, c := range st.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return v1.Condition{}
}

func hasCondition(typ, status, reason string) func(v1.WarehouseStatus) bool {
	return func(st v1.WarehouseStatus) bool {
		c := condition(st, typ)
		return c.Status == status && c.Reason == reason
	}
}

func handled(id string) func(v1.WarehouseStatus) bool {
	return func(st v1.WarehouseStatus) bool { return st.LastHandledRefresh == id }
}

func listFreight(t *testing.T, b *bus.Bus) []v1.Freight {
	t.Helper()
	all, err := store.List[v1.Freight](t.Context(), b, b.Freight, bus.Key(project, ">"))
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// events counts the events of a type stored for the project.
func events(t *testing.T, b *bus.Bus, eventType string) uint64 {
	t.Helper()
	subject := bus.EventSubject(project, eventType)
	st, err := b.JS.Stream(t.Context(), bus.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// TestAutomaticWarehouse: discovery makes one Freight of the newest commit; refreshes of the
// same artifacts make none; a refresh after a push makes the next one at once (the interval
// is an hour).
func TestAutomaticWarehouse(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	b := start(t, warehouse.Options{})
	apply(t, b, "wh", v1.WarehouseSpec{Interval: "1h", Subscriptions: []v1.RepoSubscription{
		{Name: "cfg", Git: &v1.GitSubscription{RepoURL: url, Branch: "main"}},
	}})

	st := waitStatus(t, b, "wh", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	head := git.Head(t, "cfg", "main")
	if c := condition(st, warehouse.ConditionReady); c.Status != "True" {
		t.Errorf("Ready = %+v, want True", c)
	}
	if st.DiscoveredArtifacts == nil || len(st.DiscoveredArtifacts.Git) != 1 || st.DiscoveredArtifacts.Git[0].SubscriptionName != "cfg" ||
		len(st.DiscoveredArtifacts.Git[0].Commits) != 1 || st.DiscoveredArtifacts.Git[0].Commits[0].ID != head {
		t.Errorf("discoveredArtifacts = %+v, want the one commit %s of subscription cfg", st.DiscoveredArtifacts, head)
	}
	all := listFreight(t, b)
	if len(all) != 1 {
		t.Fatalf("freight after discovery: %d, want 1", len(all))
	}
	f := all[0]
	want := []v1.GitCommit{{RepoURL: url, ID: head, Branch: "main", Message: "Initial commit", Author: f.Commits[0].Author, Committer: f.Commits[0].Committer, SubscriptionName: "cfg"}}
	if diff := cmp.Diff(want, f.Commits); diff != "" {
		t.Errorf("freight commits (-want +got):\n%s", diff)
	}
	if f.Metadata.Name != freight.ID(&f) || st.LastFreightID != f.Metadata.Name || f.Alias == "" || f.DiscoveredAt == nil ||
		f.Origin != (v1.FreightOrigin{Kind: v1.KindWarehouse, Name: "wh"}) {
		t.Errorf("freight = %+v (lastFreightID %s), want its content ID, an alias, discoveredAt and origin Warehouse/wh", f, st.LastFreightID)
	}

	refresh(t, b, "wh", "r1")
	waitStatus(t, b, "wh", "lastHandledRefresh r1", handled("r1"))
	refresh(t, b, "wh", "r2")
	st = waitStatus(t, b, "wh", "lastHandledRefresh r2", handled("r2"))
	if c := condition(st, warehouse.ConditionFreightCreated); c.Status != "False" || c.Reason != warehouse.ReasonAlreadyExists {
		t.Errorf("FreightCreated after refreshes = %+v, want False/AlreadyExists", c)
	}
	if n := len(listFreight(t, b)); n != 1 {
		t.Errorf("freight after two refreshes of the same commit: %d, want 1", n)
	}
	if n := events(t, b, v1.TypeFreightCreated); n != 1 {
		t.Errorf("freight.created events after two refreshes: %d, want 1", n)
	}

	next := git.Commit(t, "cfg", "main", "bump", map[string]string{"app.yaml": "v: 2\n"})
	refresh(t, b, "wh", "r3")
	st = waitStatus(t, b, "wh", "lastHandledRefresh r3", handled("r3"))
	all = listFreight(t, b)
	if len(all) != 2 || condition(st, warehouse.ConditionFreightCreated).Reason != warehouse.ReasonCreated {
		t.Fatalf("after a push and a refresh: %d freight, FreightCreated %+v; want 2, Created", len(all), condition(st, warehouse.ConditionFreightCreated))
	}
	newest, err := store.Freight(t.Context(), b, project, st.LastFreightID)
	if err != nil {
		t.Fatal(err)
	}
	if newest.Commits[0].ID != next {
		t.Errorf("newest freight commit = %s, want %s", newest.Commits[0].ID, next)
	}
	if n := events(t, b, v1.TypeFreightCreated); n != 2 {
		t.Errorf("freight.created events: %d, want 2", n)
	}
}

// TestManualWarehouse: a Manual Warehouse discovers but creates no Freight.
func TestManualWarehouse(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	git.Git(t, "cfg", "tag", "v1.0.0", git.Head(t, "cfg", "main"))
	b := start(t, warehouse.Options{})
	apply(t, b, "manual", v1.WarehouseSpec{FreightCreationPolicy: "Manual", Subscriptions: []v1.RepoSubscription{
		{Git: &v1.GitSubscription{RepoURL: url, CommitSelectionStrategy: "SemVer"}},
	}})
	st := waitStatus(t, b, "manual", "FreightCreated=False/ManualPolicy", hasCondition(warehouse.ConditionFreightCreated, "False", warehouse.ReasonManual))
	if c := condition(st, warehouse.ConditionReady); c.Status != "True" {
		t.Errorf("Ready = %+v, want True", c)
	}
	if got := st.DiscoveredArtifacts.Git[0].Commits; len(got) != 1 || got[0].Tag != "v1.0.0" {
		t.Errorf("discovered commits = %+v, want tag v1.0.0", got)
	}
	refresh(t, b, "manual", "again")
	waitStatus(t, b, "manual", "lastHandledRefresh again", handled("again"))
	if n := len(listFreight(t, b)); n != 0 || st.LastFreightID != "" {
		t.Errorf("Manual warehouse: %d freight, lastFreightID %q; want none", n, st.LastFreightID)
	}
}

// TestFailingWarehousesDoNotBlockOthers: a refused and a hanging remote each mark their
// Warehouse not Ready with a message naming the repository, while a good Warehouse makes its
// Freight meanwhile.
func TestFailingWarehousesDoNotBlockOthers(t *testing.T) {
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hang.Close() })
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() }) // answer nothing until the test ends
		}
	}()
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + refused.Addr().String() + "/gone.git"
	_ = refused.Close()

	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	b := start(t, warehouse.Options{Workers: 2, Timeout: 5 * time.Second})
	hangURL := "http://" + hang.Addr().String() + "/slow.git"
	apply(t, b, "slow", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: hangURL}}}})
	apply(t, b, "broken", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{
		{Name: "cfg", Git: &v1.GitSubscription{RepoURL: url}},
		{Name: "gone", Git: &v1.GitSubscription{RepoURL: refusedURL}},
	}})
	apply(t, b, "good", v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: url}}}})

	waitStatus(t, b, "good", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	st := waitStatus(t, b, "broken", "Ready=False", hasCondition(warehouse.ConditionReady, "False", warehouse.ReasonDiscoveryError))
	wantErr := []v1.SubscriptionError{{SubscriptionName: "gone", RepoURL: refusedURL}}
	if len(st.Errors) != 1 || st.Errors[0].SubscriptionName != "gone" || st.Errors[0].RepoURL != refusedURL ||
		!strings.Contains(st.Errors[0].Message, "list references of "+refusedURL) {
		t.Errorf("broken errors = %+v, want %+v with a message naming the repository", st.Errors, wantErr)
	}
	if msg := condition(st, warehouse.ConditionReady).Message; !strings.Contains(msg, "subscription gone: list references of "+refusedURL) {
		t.Errorf("broken Ready message = %q, want it to name subscription gone and its repository", msg)
	}
	if st.LastFreightID != "" {
		t.Errorf("broken warehouse made freight %s, want none", st.LastFreightID)
	}
	st = waitStatus(t, b, "slow", "Ready=False", hasCondition(warehouse.ConditionReady, "False", warehouse.ReasonDiscoveryError))
	if len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Message, hangURL) {
		t.Errorf("slow errors = %+v, want one naming %s", st.Errors, hangURL)
	}
	all := listFreight(t, b)
	if len(all) != 1 || all[0].Origin.Name != "good" {
		t.Errorf("freight = %+v, want one, from good", all)
	}
}

// TestRefreshOfUnknownWarehouse is answered with command.rejected.
func TestRefreshOfUnknownWarehouse(t *testing.T) {
	b := start(t, warehouse.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	cons, err := b.JS.OrderedConsumer(ctx, bus.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{bus.EventSubject(project, v1.TypeCommandRejected)},
	})
	if err != nil {
		t.Fatal(err)
	}
	refresh(t, b, "nope", "x1")
	msg, err := cons.Next(jetstream.FetchMaxWait(wait))
	if err != nil {
		t.Fatalf("no command.rejected event: %v", err)
	}
	var e v1.Event
	var data v1.CommandRejected
	if err := json.Unmarshal(msg.Data(), &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Command != "refresh" || data.ID != "x1" || !strings.Contains(data.Message, `warehouse "nope" does not exist`) {
		t.Errorf("command.rejected = %+v, want refresh x1 naming the missing warehouse", data)
	}
}

// TestSpecChangeRediscovers: changing a Warehouse's spec runs discovery again without a
// refresh, although its interval is an hour.
func TestSpecChangeRediscovers(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	first := git.Head(t, "cfg", "main")
	git.Commit(t, "cfg", "main", "docs", map[string]string{"README.md": "x\n"})
	b := start(t, warehouse.Options{})
	sub := v1.GitSubscription{RepoURL: url}
	apply(t, b, "wh", v1.WarehouseSpec{Interval: "1h", Subscriptions: []v1.RepoSubscription{{Git: &sub}}})
	st := waitStatus(t, b, "wh", "FreightCreated=True", hasCondition(warehouse.ConditionFreightCreated, "True", warehouse.ReasonCreated))
	spec := st.ObservedSpec
	sub.ExcludePaths = []string{"README.md"}
	apply(t, b, "wh", v1.WarehouseSpec{Interval: "1h", Subscriptions: []v1.RepoSubscription{{Git: &sub}}})
	st = waitStatus(t, b, "wh", "a new observed spec", func(st v1.WarehouseStatus) bool { return st.ObservedSpec != spec })
	if got := st.DiscoveredArtifacts.Git[0].Commits; len(got) != 1 || got[0].ID != first {
		t.Errorf("after excluding README.md, discovered %+v, want only %s", got, first)
	}
	if n := len(listFreight(t, b)); n != 2 {
		t.Errorf("freight after the spec change: %d, want 2", n)
	}
}
