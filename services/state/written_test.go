package state

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/service"
)

// TestUpdateStartsFromWhatItWrote: update changes a Promotion from what this service stored
// last, without reading it back, and still sees a change another writer made since.
func TestUpdateStartsFromWhatItWrote(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	s := &state{Deps: service.Deps{Log: slog.New(slog.DiscardHandler), Bus: b}}
	key := bus.Key("demo", "p")
	p := v1.Promotion{Metadata: v1.ObjectMeta{Name: "p", Namespace: "demo"}}
	data, _ := json.Marshal(&p)
	if _, err := b.Promotions.Create(ctx, key, data); err != nil {
		t.Fatal(err)
	}
	setMessage := func(msg string) func(*v1.Promotion) bool {
		return func(p *v1.Promotion) bool { p.Status.Message += msg; return true }
	}
	if _, _, err := s.update(ctx, key, setMessage("a")); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.written.get(key); !ok {
		t.Fatal("update did not keep what it stored")
	}

	// Another writer (a second state replica) changes the Promotion.
	var theirs v1.Promotion
	rev, err := b.GetJSON(ctx, b.Promotions, key, &theirs)
	if err != nil {
		t.Fatal(err)
	}
	theirs.Status.Phase = v1.PhaseRunning
	data, _ = json.Marshal(&theirs)
	if _, err := b.Promotions.Update(ctx, key, data, rev); err != nil {
		t.Fatal(err)
	}

	got, changed, err := s.update(ctx, key, setMessage("b"))
	if err != nil || !changed {
		t.Fatalf("update after another writer = %v, %v", changed, err)
	}
	if got.Status.Message != "ab" || got.Status.Phase != v1.PhaseRunning {
		t.Errorf("update returned message %q phase %q, want %q and their %q", got.Status.Message, got.Status.Phase, "ab", v1.PhaseRunning)
	}
	var stored v1.Promotion
	if _, err := b.GetJSON(ctx, b.Promotions, key, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Status.Message != "ab" || stored.Status.Phase != v1.PhaseRunning {
		t.Errorf("stored message %q phase %q, want %q and %q: a change was lost", stored.Status.Message, stored.Status.Phase, "ab", v1.PhaseRunning)
	}

	// A deleted Promotion is not brought back from the cache.
	if err := b.Promotions.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.update(ctx, key, setMessage("c")); err == nil {
		t.Error("update of a deleted Promotion = nil error, want not found")
	}
}

// TestWrittenIsBounded: the cache holds neither more Promotions nor more bytes than its
// bounds, however many it is given, and forgets what it is told to.
func TestWrittenIsBounded(t *testing.T) {
	var w written
	big := make([]byte, 64<<10)
	for i := range 3 * maxWritten {
		w.put(fmt.Sprintf("demo.p%d", i), uint64(i), big)
		if n, bytes := w.size(); n > maxWritten || bytes > maxWrittenBytes {
			t.Fatalf("after %d puts the cache holds %d Promotions, %d bytes; want at most %d, %d", i+1, n, bytes, maxWritten, maxWrittenBytes)
		}
	}
	for i := range 3 * maxWritten {
		w.put(fmt.Sprintf("demo.s%d", i), uint64(i), []byte("{}"))
		if n, _ := w.size(); n > maxWritten {
			t.Fatalf("after %d small puts the cache holds %d Promotions, want at most %d", i+1, n, maxWritten)
		}
	}
	w.put("demo.x", 1, big)
	n, bytes := w.size()
	w.put("demo.x", 2, []byte("{}")) // replacing counts the new bytes only
	w.forget("demo.x")
	if n2, bytes2 := w.size(); n2 != n-1 || bytes2 != bytes-len(big) {
		t.Errorf("after replacing and forgetting: %d Promotions, %d bytes; want %d, %d", n2, bytes2, n-1, bytes-len(big))
	}
}
