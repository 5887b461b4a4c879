package audit_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestCommandsRecordsEveryCommand: a command the handler accepts and one it refuses each
// leave one record with source bus, the actor the command claims and the resource it names;
// a command whose handler failed is recorded once it is handled, not twice.
func TestCommandsRecordsEveryCommand(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	failed := false
	h := func(ctx context.Context, msg jetstream.Msg) error {
		switch msg.Subject() {
		case bus.CommandSubject("demo", "abort"):
			audit.Refuse(ctx, errors.New("promotion p9 does not exist"))
		case bus.CommandSubject("demo", "pause"):
			if !failed {
				failed = true
				return errors.New("state service away")
			}
		}
		return nil
	}
	go func() {
		_ = b.Consume(ctx, slog.New(slog.DiscardHandler), bus.ConsumerOptions{Stream: bus.StreamCommands, Durable: "t", Filters: []string{"dray.cmd.>"}},
			audit.Commands(b, slog.New(slog.DiscardHandler), h))
	}()
	pub := func(verb, id string, cmd any) {
		if err := b.Publish(t.Context(), bus.CommandSubject("demo", verb), id, cmd); err != nil {
			t.Fatal(err)
		}
	}
	pub("promote", "c1", v1.PromoteCommand{Project: "demo", Stage: "prod", Freight: "f1", Actor: "email:alice@example.com"})
	pub("abort", "c2", v1.AbortCommand{Project: "demo", Promotion: "p9", Actor: "email:bob@example.com"})
	pub("pause", "c3", v1.StageCommand{Stage: "dev"})

	var recs []v1.AuditRecord
	deadline := time.Now().Add(20 * time.Second)
	for len(recs) < 3 {
		list, err := audit.Query(t.Context(), b.JS, audit.Filter{Project: "demo"})
		if err != nil {
			t.Fatal(err)
		}
		recs = list.Records
		if time.Now().After(deadline) {
			t.Fatalf("records after 20s: %+v, want 3", recs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := []struct{ verb, actor, resource, name, result, reason string }{
		{"promote", "email:alice@example.com", "stages", "prod", v1.AuditAllowed, ""},
		{"abort", "email:bob@example.com", "promotions", "p9", v1.AuditRefused, "promotion p9 does not exist"},
		{"pause", "unknown", "stages", "dev", v1.AuditAllowed, ""},
	}
	if len(recs) != len(want) {
		t.Fatalf("records = %+v, want %d", recs, len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r.Verb != w.verb || r.Actor != w.actor || r.Resource != w.resource || r.Name != w.name || r.Result != w.result ||
			r.Reason != w.reason || r.Source != v1.AuditSourceBus || r.Project != "demo" {
			t.Errorf("record %d = %+v, want %+v from the bus", i, r, w)
		}
	}
	if list, _ := audit.Query(t.Context(), b.JS, audit.Filter{Project: "demo", Verb: "abort"}); len(list.Records) != 1 {
		t.Errorf("verb filter: %+v, want the abort", list.Records)
	}
}

// TestCommandActor: a command's actor is who its subject says sent it — a token by its name,
// a project's nkey — whatever its body claims; only the gateway's and admins' subject
// (no sender token) takes the body's word.
func TestCommandActor(t *testing.T) {
	tests := []struct {
		subject, claimed, want string
		err                    bool
	}{
		{subject: "dray.cmd.demo.promote.ci", claimed: "email:boss@example.com", want: "token:demo/ci"},
		{subject: "dray.cmd.demo.promote.ci", want: "token:demo/ci"},
		{subject: "dray.cmd.demo.abort._nkey", claimed: "token:demo/ci", want: "nats:project-demo"},
		{subject: "dray.cmd.demo.promote", claimed: "oidc:ann (ann@example.com)", want: "oidc:ann (ann@example.com)"},
		{subject: "dray.cmd.demo.promote", want: "unknown"},
		{subject: "dray.cmd.demo.promote.Bad_Name", claimed: "token:demo/ci", err: true},
		{subject: "dray.cmd.demo.promote.ci.extra", err: true},
		{subject: "dray.cmd.demo", err: true},
	}
	for _, tt := range tests {
		got, err := audit.CommandActor(tt.subject, tt.claimed)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("CommandActor(%q, %q) = %q, %v; want %q (error %v)", tt.subject, tt.claimed, got, err, tt.want, tt.err)
		}
		if tt.err && !errors.Is(err, audit.ErrNoActor) {
			t.Errorf("CommandActor(%q) error %v, want ErrNoActor", tt.subject, err)
		}
	}
	rec := audit.CommandRecord("dray.cmd.demo.promote.ci", []byte(`{"stage":"prod","actor":"email:boss@example.com"}`), "")
	if rec.Actor != "token:demo/ci" || rec.Verb != "promote" || rec.Project != "demo" || rec.Name != "prod" {
		t.Errorf("CommandRecord of a token's command = %+v, want token:demo/ci promoting prod in demo", rec)
	}
}
