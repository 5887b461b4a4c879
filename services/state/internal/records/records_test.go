package records

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
)

// TestPromotionStartsFromWhatItWrote: Promotion changes a Promotion from what this service stored
// last, without reading it back, and still sees a change another writer made since.
func TestPromotionStartsFromWhatItWrote(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	w := New(b, slog.New(slog.DiscardHandler), nil)
	key := bus.Key("demo", "p")
	p := v1.Promotion{Metadata: v1.ObjectMeta{Name: "p", Namespace: "demo"}}
	data, _ := json.Marshal(&p)
	if _, err := b.Promotions.Create(ctx, key, data); err != nil {
		t.Fatal(err)
	}
	setMessage := func(msg string) func(*v1.Promotion) bool {
		return func(p *v1.Promotion) bool { p.Status.Message += msg; return true }
	}
	if _, _, err := w.Promotion(ctx, key, setMessage("a")); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.written.get(key); !ok {
		t.Fatal("Promotion did not keep what it stored")
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

	got, changed, err := w.Promotion(ctx, key, setMessage("b"))
	if err != nil || !changed {
		t.Fatalf("Promotion after another writer = %v, %v", changed, err)
	}
	if got.Status.Message != "ab" || got.Status.Phase != v1.PhaseRunning {
		t.Errorf("Promotion returned message %q phase %q, want %q and their %q", got.Status.Message, got.Status.Phase, "ab", v1.PhaseRunning)
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
	if _, _, err := w.Promotion(ctx, key, setMessage("c")); err == nil {
		t.Error("Promotion of a deleted Promotion = nil error, want not found")
	}
}

// TestWrittenIsBounded: the cache holds neither more Promotions nor more bytes than its
// bounds, however many it is given, and forgets what it is told to.
func TestWrittenIsBounded(t *testing.T) {
	var c written
	big := make([]byte, 64<<10)
	for i := range 3 * maxWritten {
		c.put(fmt.Sprintf("demo.p%d", i), uint64(i), big)
		if n, bytes := c.size(); n > maxWritten || bytes > maxWrittenBytes {
			t.Fatalf("after %d puts the cache holds %d Promotions, %d bytes; want at most %d, %d", i+1, n, bytes, maxWritten, maxWrittenBytes)
		}
	}
	for i := range 3 * maxWritten {
		c.put(fmt.Sprintf("demo.s%d", i), uint64(i), []byte("{}"))
		if n, _ := c.size(); n > maxWritten {
			t.Fatalf("after %d small puts the cache holds %d Promotions, want at most %d", i+1, n, maxWritten)
		}
	}
	c.put("demo.x", 1, big)
	n, bytes := c.size()
	c.put("demo.x", 2, []byte("{}")) // replacing counts the new bytes only
	c.forget("demo.x")
	if n2, bytes2 := c.size(); n2 != n-1 || bytes2 != bytes-len(big) {
		t.Errorf("after replacing and forgetting: %d Promotions, %d bytes; want %d, %d", n2, bytes2, n-1, bytes-len(big))
	}
}

// TestStage: a Stage's status is created on its first change and updated on the next, each
// store is shown to onStage, and a change that changes nothing writes nothing.
func TestStage(t *testing.T) {
	ctx := t.Context()
	b := bustest.Start(t).Connect(t)
	var seen []string
	w := New(b, slog.New(slog.DiscardHandler), func(project, stage string, st *v1.StageStatus) { seen = append(seen, project+"/"+stage+":"+st.Waiting) })
	// A status is created only for a Stage whose resource exists.
	if _, err := b.Resources.Put(ctx, bus.ResourceKey("demo", v1.KindStage, "dev"), []byte(`{"metadata":{"name":"dev","namespace":"demo"}}`)); err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{"a window", "a resume"} {
		if err := w.Stage(ctx, "demo", "dev", func(st *v1.StageStatus) bool { st.Waiting = why; return true }); err != nil {
			t.Fatalf("Stage(%s) = %v", why, err)
		}
	}
	if err := w.Stage(ctx, "demo", "dev", func(*v1.StageStatus) bool { return false }); err != nil {
		t.Fatal(err)
	}
	var st v1.StageStatus
	rev, err := b.GetJSON(ctx, b.Stages, bus.Key("demo", "dev"), &st)
	if err != nil {
		t.Fatal(err)
	}
	if st.Waiting != "a resume" || rev != 2 {
		t.Errorf("stored status waits for %q at revision %d, want %q at 2", st.Waiting, rev, "a resume")
	}
	if want := []string{"demo/dev:a window", "demo/dev:a resume"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("onStage saw %q, want %q", seen, want)
	}
}
