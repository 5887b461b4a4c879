package commands

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/token"
)

// benchMsg is a command as the consumer hands it over.
type benchMsg struct {
	jetstream.Msg
	subject string
	data    []byte
}

func (m benchMsg) Subject() string { return m.subject }
func (m benchMsg) Data() []byte    { return m.data }

// BenchmarkCommandIntake is what establishing and authorizing the sender adds to a command
// before its handler runs: the gateway's (the body names the actor) and a token's (the
// subject names it, the body is rewritten, and the Stage is checked against its role).
func BenchmarkCommandIntake(b *testing.B) {
	bb := bustest.Start(b).Connect(b)
	if _, _, err := token.NewStore(bb.Tokens).Create(b.Context(), v1.APIToken{Name: "ci", Project: "shop", Role: "developer"}); err != nil {
		b.Fatal(err)
	}
	z, err := WatchSenders(b.Context(), bb)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"stage":"dev","freight":"quiet-lynx","actor":"email:boss@example.com"}`)
	for _, bc := range []struct{ name, subject string }{
		{"gateway", bus.CommandSubject("shop", "promote")},
		{"token", bus.CommandSubjectAs("shop", "promote", "ci")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				msg, err := withActor(benchMsg{subject: bc.subject, data: body})
				var refusal error
				if err == nil {
					refusal, err = z.authorize(b.Context(), msg)
				}
				if err != nil || refusal != nil {
					b.Fatal(err, refusal)
				}
			}
		})
	}
}
