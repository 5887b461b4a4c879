package gateway

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
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
