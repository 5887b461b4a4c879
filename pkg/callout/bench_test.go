package callout_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/callout"
)

// BenchmarkConnect is what the auth callout adds to a connection: connecting with a token
// (the server asks the gateway, which signs a user) against connecting as an nkey user the
// server knows. A command published on a connection pays nothing more: NATS checks the
// permissions the user came with.
func BenchmarkConnect(b *testing.B) {
	w := start(b)
	tok := w.token(b, "a", "ci", access.RoleDeveloper, nil)
	// …and with the callout's requests and answers encrypted (auth_callout xkey).
	wx := startWith(b, true)
	tokx := wx.token(b, "a", "ci", access.RoleDeveloper, nil)
	time.Sleep(200 * time.Millisecond) // the gateways' indexes have the tokens
	nkey, err := w.users.ConnectOptions(bus.RoleAdmin)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		url  string
		opts []nats.Option
	}{
		{"nkey", w.ns.ClientURL(), nkey},
		{"token-callout", w.ns.ClientURL(), []nats.Option{nats.Token(tok)}},
		{"token-callout-xkey", wx.ns.ClientURL(), []nats.Option{nats.Token(tokx)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				nc, err := nats.Connect(bc.url, append(bc.opts, nats.MaxReconnects(0))...)
				if err != nil {
					b.Fatal(err)
				}
				nc.Close()
			}
		})
	}
}

// BenchmarkAnswer is the gateway's part of a connect: look the token up, decide the verbs of
// its role, and sign the user and the answer.
func BenchmarkAnswer(b *testing.B) {
	issuer, _ := nkeys.CreateAccount()
	c := &callout.Callout{Issuer: issuer, Log: slog.New(slog.DiscardHandler),
		Tokens: fixed{t: v1.APIToken{Name: "ci", Project: "a", Role: access.RoleDeveloper}}}
	user, _ := nkeys.CreateUser()
	upub, _ := user.PublicKey()
	req := jwtRequest(b, upub)
	for b.Loop() {
		if len(c.Answer(req)) == 0 {
			b.Fatal("no answer")
		}
	}
}
