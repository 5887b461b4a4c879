package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/service"
	executorgit "github.com/drayhq/dray/services/executor-git"
	"github.com/drayhq/dray/services/warehouse"
)

// hostilePerSubject is how many hostile messages each consumed subject gets.
const hostilePerSubject = 1000

// Kinds of hostile message, in turn.
const (
	garbage      = iota // not JSON at all
	emptyNames          // valid JSON, every name empty
	absurdNames         // every name 5,000 characters
	invalidNames        // every name holds what no subject or key may: '*', '>', '.', ' ', NUL, '$'
	unknownNames        // valid names of things that do not exist
	wrongProject        // the body names another project than the subject
	replay              // an old message again: a finished attempt, a finished Promotion
	kinds
)

// hostileSubject is one subject a service consumes, and how to fill its messages.
type hostileSubject struct {
	subject  string
	consumer string // the durable consumer that reads it
	// body builds a message naming name (in every name field) in project; replay is the old
	// message sent again.
	body   func(name, project string, i int) any
	replay func(i int) any
}

// TestHostileMessages: 1,000 hostile messages on each subject a service consumes — garbage,
// empty, absurd and invalid names, unknown Promotions, Stages and Warehouses, the wrong
// project, replays of finished work — block no queue and break no connection: every consumer
// drains, what can never be handled is on DRAY_DEAD, and then a promotion succeeds.
func TestHostileMessages(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	git := gittest.NewServer(t)
	first := pipeline(t, b, git.Repo(t, "config", map[string]string{"env/dev/values.yaml": valuesYAML}))
	startControlPlane(t, ns)
	opts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-git", func(ctx context.Context, d service.Deps) error {
		return executorgit.Run(ctx, executorgit.Options{Options: opts}, d)
	})
	startService(t, ns, "warehouse", func(ctx context.Context, d service.Deps) error {
		return warehouse.Run(ctx, warehouse.Options{}, d)
	})

	// A finished promotion, whose messages are replayed.
	publishPromote(t, ns, "dev", first)
	old := waitFinished(t, b, project, 60*time.Second)
	checkPromotion(t, git, old)

	subjects := hostileSubjects(old)
	if only := os.Getenv("HOSTILE_ONLY"); only != "" {
		subjects = slices.DeleteFunc(subjects, func(s hostileSubject) bool { return !strings.HasSuffix(s.subject, only) })
	}
	sent := publishHostile(t, ns, subjects)

	// Every consumer drains: nothing is redelivered forever or left waiting in the window.
	consumers := map[string]string{"state": bus.StreamResults, "scheduler-commands": bus.StreamCommands,
		"executor-git": bus.StreamSteps, "warehouse-refresh": bus.StreamCommands,
		"scheduler-promotions": bus.StreamEvents, "scheduler-pipeline": bus.StreamEvents}
	var busy []string
	drained := func() bool {
		busy = nil
		for durable, stream := range consumers {
			c, err := b.JS.Consumer(t.Context(), stream, durable)
			if err != nil {
				t.Fatal(err)
			}
			info, err := c.Info(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.NumPending > 0 || info.NumAckPending > 0 {
				busy = append(busy, fmt.Sprintf("%s (%d pending, %d unacknowledged, %d redelivered)",
					durable, info.NumPending, info.NumAckPending, info.NumRedelivered))
			}
		}
		return len(busy) == 0
	}
	deadline := time.Now().Add(5 * time.Minute) // a bound for a stuck queue, not a speed target
	for !drained() {
		if time.Now().After(deadline) {
			t.Fatalf("the consumers did not drain %d hostile messages: %s", sent, strings.Join(busy, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// DRAY_DEAD holds at least the garbage of every subject, recorded by its consumer.
	stream, err := b.JS.Stream(t.Context(), bus.StreamDead)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context(), jetstream.WithSubjectFilter("dray.dead.>"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, s := range subjects {
		want[s.consumer] += hostilePerSubject / kinds // at least the garbage
	}
	total := uint64(0)
	for consumer, n := range want {
		var got uint64
		for subj, c := range info.State.Subjects {
			if strings.HasSuffix(subj, "."+consumer) {
				got += c
			}
		}
		total += got
		if got < uint64(n) {
			t.Errorf("DRAY_DEAD holds %d records of consumer %s, want at least %d", got, consumer, n)
		}
	}
	if total > uint64(sent) {
		t.Errorf("DRAY_DEAD holds %d records for %d hostile messages", total, sent)
	}
	checkDeadSample(t, b)

	// Bad commands were answered, with short text that carries no hostile value.
	rejected := 0
	for _, e := range rejections(t, b) {
		rejected++
		var d v1.CommandRejected
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Message) > 1000 || len(d.Stage)+len(d.Freight)+len(d.ID) > 3*253 || strings.Contains(string(e.Data), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") {
			t.Errorf("command.rejected %s carries %d bytes: %.300s", e.ID, len(e.Data), e.Data)
		}
	}
	if rejected < hostilePerSubject {
		t.Errorf("%d command.rejected events, want at least %d", rejected, hostilePerSubject)
	}

	// And a promotion goes through as it always does.
	second := putFreight(t, b, project, &v1.Freight{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindFreight},
		Origin:   v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images:   []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1.3.0"}},
	})
	publishPromote(t, ns, "dev", second)
	var p *v1.Promotion
	waitFor(t, "the promotion after the hostile messages to finish", func() bool {
		ps, err := listPromotions(t, b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			if ps[i].Spec.Freight == second && ps[i].Status.Finished() {
				p = &ps[i]
				return true
			}
		}
		return false
	})
	if p.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("promotion after the hostile messages = %s (%s), want Succeeded", p.Status.Phase, p.Status.Message)
	}
	if !strings.Contains(git.ReadFile(t, "config", "main", "env/dev/values.yaml"), "tag: v1.3.0") {
		t.Errorf("the promotion after the hostile messages did not push the new tag")
	}
	if ps, _ := listPromotions(t, b); len(ps) != 2 {
		t.Errorf("%d promotions exist after the hostile messages, want 2 (the hostile ones created none)", len(ps))
	}
}

// rejections reads the project's command.rejected events.
func rejections(t *testing.T, b *bus.Bus) []v1.Event {
	t.Helper()
	cons, err := b.JS.OrderedConsumer(t.Context(), bus.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{bus.EventSubject(project, v1.TypeCommandRejected)},
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Event
	for n := int(info.NumPending); n > 0; {
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			var e v1.Event
			if err := json.Unmarshal(msg.Data(), &e); err != nil {
				t.Fatalf("decode command.rejected: %v", err)
			}
			out = append(out, e)
			n--
		}
	}
	return out
}

// checkDeadSample reads the newest dead letter and checks it says what it is.
func checkDeadSample(t *testing.T, b *bus.Bus) {
	t.Helper()
	raw, err := b.JS.Stream(t.Context(), bus.StreamDead)
	if err != nil {
		t.Fatal(err)
	}
	m, err := raw.GetLastMsgForSubject(t.Context(), "dray.dead.>")
	if err != nil {
		t.Fatal(err)
	}
	var d v1.DeadLetter
	if err := json.Unmarshal(m.Data, &d); err != nil {
		t.Fatalf("decode dead letter: %v", err)
	}
	if d.Subject == "" || d.Reason == "" || d.Message == "" || d.Deliveries == 0 || d.Headers[bus.HeaderMsgID] == nil ||
		d.Size == 0 || len(d.Data) > bus.MaxDeadData || len(d.Message) > 2048 {
		t.Errorf("dead letter lacks what it must say: %+v", d)
	}
}

// publishHostile publishes hostilePerSubject messages of every kind in turn on each subject,
// asynchronously in batches, and returns how many it sent.
func publishHostile(t *testing.T, ns *bustest.Server, subjects []hostileSubject) int {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL(), nats.Name("hostile"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(11, 2026))
	invalid := []string{"*", ">", "a.b", "a..b", "a b", "a\x00b", "$JS", "Dev", "-dev", "ü"}
	long := strings.Repeat("x", 5000)
	sent := 0
	for _, s := range subjects {
		for i := range hostilePerSubject {
			var data []byte
			switch i % kinds {
			case garbage:
				data = make([]byte, 1+rnd.IntN(300))
				for j := range data {
					data[j] = byte(rnd.UintN(256))
				}
			case emptyNames:
				data = mustJSON(t, s.body("", project, i))
			case absurdNames:
				data = mustJSON(t, s.body(long, project, i))
			case invalidNames:
				data = mustJSON(t, s.body(invalid[i%len(invalid)], project, i))
			case unknownNames:
				data = mustJSON(t, s.body("unknown-"+strconv.Itoa(i), project, i))
			case wrongProject:
				data = mustJSON(t, s.body("unknown-"+strconv.Itoa(i), "other", i))
			case replay:
				data = mustJSON(t, s.replay(i))
			}
			msg := &nats.Msg{Subject: s.subject, Data: data, Header: nats.Header{}}
			msg.Header.Set(bus.HeaderMsgID, "hostile/"+s.subject+"/"+strconv.Itoa(i))
			if _, err := js.PublishMsgAsync(msg); err != nil {
				t.Fatalf("publish hostile message %d on %s: %v", i, s.subject, err)
			}
			sent++
			if sent%256 == 0 || i == hostilePerSubject-1 {
				select {
				case <-js.PublishAsyncComplete():
				case <-time.After(time.Minute):
					t.Fatalf("hostile messages on %s not stored within a minute", s.subject)
				}
			}
		}
	}
	return sent
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// hostileSubjects are the subjects the services consume, with messages shaped like theirs;
// old is a finished Promotion whose messages are replayed.
func hostileSubjects(old *v1.Promotion) []hostileSubject {
	name, freight := old.Metadata.Name, old.Spec.Freight
	job := func(n, p string, i int) any {
		return v1.StepJob{Project: p, Stage: n, Promotion: n, Step: 0, Alias: "clone", Uses: "git-clone", Attempt: 1,
			Config: map[string]any{"repoURL": "https://example.com/" + n}}
	}
	result := func(n, p string, i int) any {
		return v1.StepResult{Project: p, Promotion: n, Step: 0, Alias: "clone", Attempt: 1, Status: v1.StepSucceeded,
			Metadata: []v1.MetadataUpdate{{Kind: v1.KindStage, Name: n, Values: map[string]any{"k": "v"}}}}
	}
	cmd := func(v any) func(int) any { return func(int) any { return v } }
	return []hostileSubject{
		{subject: bus.StepSubject("git", project), consumer: "executor-git", body: job,
			replay: func(int) any { return job(name, project, 0) }},
		{subject: bus.StepResultSubject(project), consumer: "state", body: result,
			replay: func(int) any { r := result(name, project, 0).(v1.StepResult); r.Metadata = nil; return r }},
		{subject: bus.PromotionRecordSubject(project), consumer: "state",
			body: func(n, p string, i int) any {
				if i%2 == 0 {
					return v1.PromotionRecord{Op: v1.RecordFinish, Project: p, Name: n, Phase: v1.PhaseSucceeded}
				}
				pr := *old
				pr.Metadata.Name, pr.Metadata.Namespace, pr.Spec.Stage, pr.Spec.Freight = n, p, n, n
				return v1.PromotionRecord{Op: v1.RecordCreate, Project: p, Name: n, Promotion: &pr}
			},
			replay: cmd(v1.PromotionRecord{Op: v1.RecordFinish, Project: project, Name: name, Phase: v1.PhaseSucceeded})},
		{subject: bus.StageRecordSubject(project), consumer: "state",
			body:   func(n, p string, i int) any { return v1.StageRecord{Op: v1.StagePause, Project: p, Stage: n} },
			replay: cmd(v1.StageRecord{Op: v1.StageHealthy, Project: project, Stage: "dev"})},
		{subject: bus.FreightRecordSubject(project), consumer: "state",
			body: func(n, p string, i int) any {
				return v1.FreightRecord{Op: v1.FreightApprove, Project: p, Freight: n, Stage: n}
			},
			replay: cmd(v1.FreightRecord{Op: v1.FreightApprove, Project: project, Freight: freight, Stage: "dev"})},
		{subject: bus.CommandSubject(project, "promote"), consumer: "scheduler-commands",
			body: func(n, p string, i int) any {
				return v1.PromoteCommand{Project: p, Stage: n, Freight: n, ID: n}
			},
			replay: cmd(v1.PromoteCommand{Project: project, Stage: "dev", Freight: "unknown-freight", ID: "replayed"})},
		{subject: bus.CommandSubject(project, "abort"), consumer: "scheduler-commands",
			body:   func(n, p string, i int) any { return v1.AbortCommand{Project: p, Promotion: n} },
			replay: cmd(v1.AbortCommand{Project: project, Promotion: name})},
		{subject: bus.CommandSubject(project, "approve"), consumer: "scheduler-commands",
			body:   func(n, p string, i int) any { return v1.ApproveCommand{Project: p, Freight: n, Stage: n} },
			replay: cmd(v1.ApproveCommand{Project: project, Freight: freight, Stage: "dev"})},
		{subject: bus.CommandSubject(project, "verify"), consumer: "scheduler-commands",
			body:   func(n, p string, i int) any { return v1.VerifyCommand{Project: p, Stage: n, ID: n} },
			replay: cmd(v1.VerifyCommand{Project: project, Stage: "dev", ID: "replayed"})},
		{subject: bus.CommandSubject(project, "pause"), consumer: "scheduler-commands",
			body:   func(n, p string, i int) any { return v1.StageCommand{Project: p, Stage: n} },
			replay: cmd(v1.StageCommand{Project: project, Stage: "unknown-stage"})},
		{subject: bus.CommandSubject(project, "resume"), consumer: "scheduler-commands",
			body:   func(n, p string, i int) any { return v1.StageCommand{Project: p, Stage: n} },
			replay: cmd(v1.StageCommand{Project: project, Stage: "dev"})},
		{subject: bus.CommandSubject(project, "wake"), consumer: "scheduler-commands",
			body:   func(n, p string, i int) any { return v1.WakeCommand{Project: p, Promotion: n, ID: n} },
			replay: cmd(v1.WakeCommand{Project: project, Promotion: name, ID: "replayed"})},
		{subject: bus.CommandSubject(project, "refresh"), consumer: "warehouse-refresh",
			body:   func(n, p string, i int) any { return v1.RefreshCommand{Project: p, Warehouse: n, ID: n} },
			replay: cmd(v1.RefreshCommand{Project: project, Warehouse: "app", ID: "replayed"})},
		{subject: bus.EventSubject(project, v1.TypePromotionStarted), consumer: "scheduler-promotions",
			body: func(n, p string, i int) any {
				e, _ := bus.NewEvent(v1.TypePromotionStarted, "hostile", "promotion/"+n, v1.PromotionEvent{Project: p, Promotion: n, Stage: n})
				return e
			},
			replay: func(int) any {
				e, _ := bus.NewEvent(v1.TypePromotionStarted, "old", "promotion/"+name, v1.PromotionEvent{Project: project, Promotion: name, Stage: "dev"})
				return e
			}},
		{subject: bus.EventSubject(project, v1.TypeFreightCreated), consumer: "scheduler-pipeline",
			body: func(n, p string, i int) any {
				e, _ := bus.NewEvent(v1.TypeFreightCreated, "hostile", "freight/"+n, v1.FreightEvent{Project: p, Freight: n})
				return e
			},
			replay: func(int) any {
				e, _ := bus.NewEvent(v1.TypeFreightCreated, "old", "freight/"+freight,
					v1.FreightEvent{Project: project, Freight: freight, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}})
				return e
			}},
	}
}
