package gateway

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// TestCalloutFromSeedFile: with --nats-callout-seed the gateway answers the server's auth
// callout requests, signed with that key, from the tokens it knows; a seed file that cannot
// be read stops it with an error naming the flag.
func TestCalloutFromSeedFile(t *testing.T) {
	_, _, a := testGateway(t)
	tok := newToken(t, a, v1.APIToken{Name: "ci", Project: "demo", Role: "developer"})
	if err := serveCallout(t.Context(), Options{NATSCalloutSeed: filepath.Join(t.TempDir(), "missing.nk")}, a.Deps, a.auth); err == nil ||
		!strings.Contains(err.Error(), "--nats-callout-seed") {
		t.Fatalf("a missing seed file: %v, want an error naming --nats-callout-seed", err)
	}
	seed := filepath.Join(t.TempDir(), "callout.nk")
	issuer, err := bus.EnsureCalloutSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := serveCallout(t.Context(), Options{NATSCalloutSeed: seed}, a.Deps, a.auth); err != nil {
		t.Fatal(err)
	}
	srv, _ := nkeys.CreateServer()
	spub, _ := srv.PublicKey()
	user, _ := nkeys.CreateUser()
	upub, _ := user.PublicKey()
	req := jwt.NewAuthorizationRequestClaims(spub)
	req.UserNkey, req.Server.ID, req.ConnectOptions.Token = upub, "S1", tok
	enc, err := req.Encode(srv)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := a.Bus.Conn.Request(bus.AuthCalloutSubject, []byte(enc), 5*time.Second)
	if err != nil {
		t.Fatalf("no answer to an auth callout request: %v", err)
	}
	resp, err := jwt.DecodeAuthorizationResponseClaims(string(msg.Data))
	if err != nil {
		t.Fatal(err)
	}
	ipub, _ := issuer.PublicKey()
	if resp.Issuer != ipub || resp.Error != "" {
		t.Fatalf("answer issued by %s with error %q, want one by the seed's key %s admitting the token", resp.Issuer, resp.Error, ipub)
	}
	uc, err := jwt.DecodeUserClaims(resp.Jwt)
	if err != nil {
		t.Fatal(err)
	}
	if uc.Name != "token:demo/ci" || !uc.Pub.Allow.Contains(bus.CommandSubjectAs("demo", "promote", "ci")) {
		t.Errorf("user = %s allowed %v, want token:demo/ci allowed its promote commands", uc.Name, uc.Pub.Allow)
	}
}

// TestCalloutXKeyFromSeedFile: with --nats-callout-xkey the gateway opens the requests the
// server encrypts to that key and encrypts its answers to the server's; a seed that is not a
// curve key stops it with an error naming the flag.
func TestCalloutXKeyFromSeedFile(t *testing.T) {
	_, _, a := testGateway(t)
	tok := newToken(t, a, v1.APIToken{Name: "ci", Project: "demo", Role: "developer"})
	dir := t.TempDir()
	seed := filepath.Join(dir, "callout.nk")
	if _, err := bus.EnsureCalloutSeed(seed); err != nil {
		t.Fatal(err)
	}
	if err := serveCallout(t.Context(), Options{NATSCalloutSeed: seed, NATSCalloutXKey: seed}, a.Deps, a.auth); err == nil ||
		!strings.Contains(err.Error(), "--nats-callout-xkey") {
		t.Fatalf("an account seed as the xkey: %v, want an error naming --nats-callout-xkey", err)
	}
	xseed := filepath.Join(dir, "callout-xkey.nk")
	xkey, err := bus.EnsureCalloutXKey(xseed)
	if err != nil {
		t.Fatal(err)
	}
	if err := serveCallout(t.Context(), Options{NATSCalloutSeed: seed, NATSCalloutXKey: xseed}, a.Deps, a.auth); err != nil {
		t.Fatal(err)
	}
	// The server: its request, with the token, encrypted to the callout's xkey.
	srv, _ := nkeys.CreateServer()
	spub, _ := srv.PublicKey()
	sx, _ := nkeys.CreateCurveKeys()
	sxpub, _ := sx.PublicKey()
	user, _ := nkeys.CreateUser()
	upub, _ := user.PublicKey()
	req := jwt.NewAuthorizationRequestClaims(spub)
	req.UserNkey, req.Server.ID, req.ConnectOptions.Token = upub, "S1", tok
	enc, err := req.Encode(srv)
	if err != nil {
		t.Fatal(err)
	}
	xpub, _ := xkey.PublicKey()
	sealed, err := sx.Seal([]byte(enc), xpub)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(bus.AuthCalloutSubject)
	msg.Data = sealed
	msg.Header.Set(server.AuthRequestXKeyHeader, sxpub)
	answer, err := a.Bus.Conn.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatalf("no answer to an encrypted auth callout request: %v", err)
	}
	opened, err := sx.Open(answer.Data, xpub)
	if err != nil {
		t.Fatalf("the answer is not encrypted to the server by the callout's xkey: %v", err)
	}
	resp, err := jwt.DecodeAuthorizationResponseClaims(string(opened))
	if err != nil || resp.Error != "" || resp.Jwt == "" {
		t.Fatalf("answer %+v, %v; want a user for the token", resp, err)
	}
}
