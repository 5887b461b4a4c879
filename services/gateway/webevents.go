package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// liveEvent is what the UI's event stream sends for each change: the names of what changed,
// for the page to fetch again the fragments that show them (static/app.js).
type liveEvent struct {
	Seq       int    `json:"seq"`
	Type      string `json:"type,omitempty"`
	Stage     string `json:"stage,omitempty"`
	Promotion string `json:"promotion,omitempty"`
	Freight   string `json:"freight,omitempty"`
	// Time is when the event was published (Unix milliseconds), for measuring how long it
	// takes to reach the page.
	Time int64 `json:"time,omitempty"`
}

// sseHeartbeat keeps idle streams open through proxies that close silent connections.
const sseHeartbeat = 25 * time.Second

// events streams a project's changes as Server-Sent Events until the browser goes: the
// project's events (a core NATS subscription of dray.events.<project>.>) and its Stages'
// status writes (a watch of dray-stages), which the state service records after some events
// (where the Freight now is follows promotion.succeeded). Nothing is polled.
func (u *web) events(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	ctx, cancel := u.a.streamContext(r)
	defer cancel()
	rc := http.NewResponseController(w)
	msgs := make(chan *nats.Msg, 256)
	sub, err := u.a.Bus.Conn.ChanSubscribe("dray.events."+project+".>", msgs)
	if err != nil {
		fail(w, fmt.Errorf("follow the events of project %s: %w", project, err))
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	watch, err := u.a.Bus.Stages.Watch(ctx, bus.Key(project, "*"), jetstream.UpdatesOnly())
	if err != nil {
		fail(w, fmt.Errorf("follow the Stages of project %s: %w", project, err))
		return
	}
	defer func() { _ = watch.Stop() }()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n: following "+project+"\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	heartbeat := time.NewTicker(sseHeartbeat)
	defer heartbeat.Stop()
	seq := 0
	send := func(ev liveEvent) bool {
		seq++
		ev.Seq = seq
		data, _ := json.Marshal(ev)
		if _, err := fmt.Fprintf(w, "event: dray\ndata: %s\n\n", data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for {
		var ok bool
		select {
		case <-ctx.Done():
			return
		case m := <-msgs:
			ok = send(eventOf(m.Data))
		case e := <-watch.Updates():
			if e == nil {
				continue
			}
			ok = send(liveEvent{Type: "stage.status", Stage: strings.TrimPrefix(e.Key(), project+".")})
		case <-heartbeat.C:
			_, err := fmt.Fprint(w, ": heartbeat\n\n")
			ok = err == nil && rc.Flush() == nil
		}
		if !ok {
			return
		}
	}
}

// eventOf names what a Dray event is about: its data's stage, promotion and freight, else
// its subject ("promotion/<name>", "freight/<name>", "stage/<name>").
func eventOf(data []byte) liveEvent {
	e, err := bus.DecodeEvent(data)
	if err != nil {
		return liveEvent{}
	}
	var names struct {
		Stage     string `json:"stage"`
		Promotion string `json:"promotion"`
		Freight   string `json:"freight"`
	}
	_ = json.Unmarshal(e.Data, &names)
	ev := liveEvent{Type: strings.TrimPrefix(e.Type, v1.EventTypePrefix), Stage: names.Stage, Promotion: names.Promotion, Freight: names.Freight, Time: e.Time.UnixMilli()}
	if kind, name, ok := strings.Cut(e.Subject, "/"); ok {
		switch kind {
		case "promotion":
			ev.Promotion = name
		case "freight":
			ev.Freight = name
		case "stage":
			ev.Stage = name
		}
	}
	if strings.HasPrefix(ev.Type, "freight.") && ev.Freight == "" {
		ev.Freight = "*"
	}
	return ev
}
