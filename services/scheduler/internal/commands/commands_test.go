package commands

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/token"
)

// cmdMsg is a command as the consumer hands it over, stored at sequence 7.
type cmdMsg struct {
	jetstream.Msg
	subject string
	data    []byte
}

func (m cmdMsg) Subject() string { return m.subject }
func (m cmdMsg) Data() []byte    { return m.data }
func (m cmdMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: 7}, Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, nil
}

// TestHandle runs commands against a real bus: a pause of a Stage that exists becomes a
// stage record; an approval of a Freight that does not exist is answered with
// command.rejected naming it; a token's command names the token as its actor, whatever the
// body says, and a revoked token's is refused Forbidden; an input command only the gateway
// may send is refused Forbidden when a token sends it; a bad body is poisoned Undecodable.
func TestHandle(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	senders, err := WatchSenders(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	woken := 0
	h := &Handler{Bus: b, Log: slog.New(slog.DiscardHandler), Senders: senders,
		Wake: func(context.Context, jetstream.Msg) error { woken++; return nil }}
	data, _ := json.Marshal(v1.Stage{Metadata: v1.ObjectMeta{Name: "dev", Namespace: "shop"}})
	if _, err := b.Resources.Put(ctx, bus.ResourceKey("shop", v1.KindStage, "dev"), data); err != nil {
		t.Fatal(err)
	}
	if _, _, err := token.NewStore(b.Tokens).Create(ctx, v1.APIToken{Name: "ci", Project: "shop", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	last := func(stream, subject string, v any) bool {
		t.Helper()
		s, err := b.JS.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := s.GetLastMsgForSubject(ctx, subject)
		if err != nil {
			return false
		}
		if err := json.Unmarshal(msg.Data, v); err != nil {
			t.Fatal(err)
		}
		return true
	}
	reason := func(err error) string {
		var p *bus.PoisonError
		if errors.As(err, &p) {
			return p.Reason
		}
		return ""
	}
	handle := func(subject, body string) error { return h.Handle(ctx, cmdMsg{subject: subject, data: []byte(body)}) }

	if err := handle(bus.CommandSubject("shop", "pause"), `{"stage":"dev","actor":"email:ana@example.com","reason":"freeze"}`); err != nil {
		t.Fatal(err)
	}
	var rec v1.StageRecord
	if !last(bus.StreamResults, bus.StageRecordSubject("shop"), &rec) || rec.Op != v1.StagePause || rec.Stage != "dev" || rec.Actor != "email:ana@example.com" {
		t.Errorf("after a pause command: record %+v; want a pause of dev by ana", rec)
	}

	if err := handle(bus.CommandSubject("shop", "approve"), `{"stage":"dev","freight":"nope"}`); err != nil {
		t.Fatalf("approve of a missing Freight = %v; want answered, not poisoned", err)
	}
	var e v1.Event
	var rejected v1.CommandRejected
	if !last(bus.StreamEvents, bus.EventSubject("shop", v1.TypeCommandRejected), &e) || json.Unmarshal(e.Data, &rejected) != nil ||
		rejected.Command != "approve" || !strings.Contains(rejected.Message, "nope") && !strings.Contains(rejected.Message, "not found") {
		t.Errorf("after approving a missing Freight: %+v; want command.rejected for approve saying it is not found", rejected)
	}

	if err := handle(bus.CommandSubjectAs("shop", "resume", "ci"), `{"stage":"dev","actor":"email:boss@example.com"}`); err != nil {
		t.Fatal(err)
	}
	if !last(bus.StreamResults, bus.StageRecordSubject("shop"), &rec) || rec.Op != v1.StageResume || rec.Actor != "token:shop/ci" {
		t.Errorf("after a token's resume: record %+v; want a resume by token:shop/ci", rec)
	}
	if err := handle(bus.CommandSubjectAs("shop", "resume", "gone"), `{"stage":"dev"}`); reason(err) != bus.ReasonForbidden {
		t.Errorf("an unknown token's command = %v; want poisoned Forbidden", err)
	}
	if err := handle(bus.CommandSubjectAs("shop", "input", "ci"), `{"promotion":"dev.01a.abc","step":"approve","approve":true}`); reason(err) != bus.ReasonForbidden {
		t.Errorf("a token's input command = %v; want poisoned Forbidden", err)
	}
	if err := handle(bus.CommandSubject("shop", "abort"), `[1,2`); reason(err) != bus.ReasonUndecodable {
		t.Errorf("an abort that does not decode = %v; want poisoned Undecodable", err)
	}
	if err := handle(bus.CommandSubject("shop", "wake"), `{}`); err != nil || woken != 1 {
		t.Errorf("a wake command = %v, woken %d times; want passed to Wake once", err, woken)
	}
}
