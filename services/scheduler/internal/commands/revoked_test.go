package commands

import (
	"errors"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/token"
)

// TestTokenCommandAfterRevocation: a command a token published before it was revoked (its
// connection is closed at once, but the command may be in the stream) is refused when the
// scheduler reads it after the revocation.
func TestTokenCommandAfterRevocation(t *testing.T) {
	bb := bustest.Start(t).Connect(t)
	store := token.NewStore(bb.Tokens)
	if _, _, err := store.Create(t.Context(), v1.APIToken{Name: "ci", Project: "shop", Role: "developer"}); err != nil {
		t.Fatal(err)
	}
	z, err := WatchSenders(t.Context(), bb)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := withActor(benchMsg{subject: bus.CommandSubjectAs("shop", "promote", "ci"), data: []byte(`{"stage":"dev","freight":"quiet-lynx"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if refusal, err := z.authorize(t.Context(), msg); err != nil || refusal != nil {
		t.Fatalf("before the revocation: refusal %v, err %v; want the command allowed", refusal, err)
	}
	if err := store.Revoke(t.Context(), "shop", "ci"); err != nil {
		t.Fatal(err)
	}
	refusal, err := z.authorize(t.Context(), msg)
	if err != nil || !errors.Is(refusal, token.ErrUnknown) {
		t.Fatalf("after the revocation: refusal %v, err %v; want token.ErrUnknown", refusal, err)
	}
}
