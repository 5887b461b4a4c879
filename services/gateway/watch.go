package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// watchKeepAlive is how often a watch with nothing to say writes a comment, so proxies and
// clients see the connection alive.
const watchKeepAlive = 15 * time.Second

// watchPromotion follows a Promotion as Server-Sent Events (services/gateway/README.md,
// "Following a Promotion"): an event "promotion" with its JSON now and after every change
// the state service records (the watch of its key in dray-promotions, not polling), until it
// has finished; "deleted" if it disappears. A Promotion not recorded yet (the promote
// command is still queued) is 404: ask again.
func (a *api) watchPromotion(w http.ResponseWriter, r *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	if _, err := store.Promotion(r.Context(), a.Bus, project, name); err != nil {
		reply(w, nil, err)
		return
	}
	ctx, cancel := a.streamContext(r)
	defer cancel()
	watcher, err := a.Bus.Promotions.Watch(ctx, bus.Key(project, name))
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("watch promotion %s: %w", name, err))
		return
	}
	entries := make(chan jetstream.KeyValueEntry, 64)
	if err := bus.Follow(ctx, watcher, func(e jetstream.KeyValueEntry) {
		select {
		case entries <- e:
		case <-ctx.Done():
		}
	}); err != nil {
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("watch promotion %s: %w", name, err))
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	keepAlive := time.NewTicker(watchKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e := <-entries:
			if e.Operation() != jetstream.KeyValuePut {
				fmt.Fprintf(w, "event: deleted\ndata: {\"name\":%q}\n\n", name)
				_ = rc.Flush()
				return
			}
			var p v1.Promotion
			if err := json.Unmarshal(e.Value(), &p); err != nil {
				a.Log.Warn("watch: undecodable promotion", "project", project, "promotion", name, "err", err)
				continue
			}
			fmt.Fprintf(w, "event: promotion\ndata: %s\n\n", compact(e.Value()))
			if p.Status.Finished() {
				_ = rc.Flush()
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// compact puts a JSON value on one line, as an SSE data field needs.
func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return bytes.ReplaceAll(b, []byte("\n"), nil)
	}
	return buf.Bytes()
}
