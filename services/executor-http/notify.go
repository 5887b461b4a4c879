package executorhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/metric"
	"github.com/drayhq/dray/pkg/notify"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/sendmessage"
	"github.com/drayhq/dray/pkg/store"
)

// Defaults of a Notifier's retries: about a minute and a half of tries per route.
const (
	DefaultNotifyTries    = 10
	DefaultNotifyInterval = time.Second
	maxNotifyInterval     = time.Minute
)

// Notifier delivers the events EventRouters route (docs/resources.md#eventrouter): it reads
// every event of DRAY_EVENTS through the durable bus.NotifyDurable, sends it once to each
// channel of each router of its project that matches, retrying each with backoff, and records
// each delivery in dray-notifications so a redelivered event is not sent twice. A route that
// still fails after its tries is logged, counted (dray_notifications_total{result="failed"})
// and announced as a notification.failed event; the event is then acknowledged. It runs apart
// from the step jobs, so a slow channel never holds a promotion.
type Notifier struct {
	Bus *bus.Bus
	Log *slog.Logger
	// Send delivers one message: send-message's code, with the executor's host allowlist.
	Send *sendmessage.Step
	// Tries bounds the attempts of one route (default DefaultNotifyTries); Interval is the
	// first wait between them, doubling up to a minute (default DefaultNotifyInterval).
	Tries    uint
	Interval time.Duration
	// Metrics receives dray_notifications_total and the consumer's families; nil registers
	// nothing.
	Metrics prometheus.Registerer

	eval  *expr.Evaluator
	total *prometheus.CounterVec
}

// NewNotifier returns the notifier of the http executor with the limits of opts.
func NewNotifier(opts Options, d service.Deps) (*Notifier, error) {
	if opts.Channels == nil {
		opts.Channels = ChannelsOf(d)
	}
	reg, err := StepsWith(opts)
	if err != nil {
		return nil, err
	}
	s, err := reg.Lookup(sendmessage.Name)
	if err != nil {
		return nil, err
	}
	send, _ := s.(*sendmessage.Step)
	return &Notifier{Bus: d.Bus, Log: d.Log, Send: send, Metrics: d.Metrics}, nil
}

// Run consumes events until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	if n.Log == nil {
		n.Log = slog.Default()
	}
	n.eval = expr.New()
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_notifications_total",
		Help: "Deliveries of events EventRouters route, by result: sent, duplicate (sent before), failed (after every retry).",
	}, []string{"result"})
	if n.Metrics != nil {
		var err error
		if total, err = metric.Register(n.Metrics, total); err != nil {
			return fmt.Errorf("register dray_notifications_total: %w", err)
		}
	}
	for _, r := range []string{"sent", "duplicate", "failed"} {
		total.WithLabelValues(r) // exported at 0 from the start, so alerts can rate() it
	}
	n.total = total
	return n.Bus.Consume(ctx, n.Log, bus.ConsumerOptions{
		Stream: bus.StreamEvents, Durable: bus.NotifyDurable, Filters: []string{"dray.events.>"},
		Workers: 4, Metrics: n.Metrics,
	}, n.handle)
}

// handle routes one event.
func (n *Notifier) handle(ctx context.Context, msg jetstream.Msg) error {
	ce, err := bus.DecodeEvent(msg.Data())
	if err != nil {
		return bus.Poison("bad-event", fmt.Errorf("decode event on %s: %w", msg.Subject(), err))
	}
	ev := *ce
	tokens := strings.Split(msg.Subject(), ".")
	if len(tokens) < 4 || ev.ID == "" {
		return bus.Poison("bad-event", fmt.Errorf("event on %s has no project or id", msg.Subject()))
	}
	project := tokens[2]
	routers, err := store.List[v1.EventRouter](ctx, n.Bus, n.Bus.Resources, bus.ResourceKey(project, v1.KindEventRouter, "*"))
	if err != nil || len(routers) == 0 {
		return err
	}
	var labels map[string]string
	env, err := notify.Env(&ev, nil)
	if err != nil {
		return bus.Poison("bad-event", err)
	}
	if stage, _ := env["event"].(map[string]any)["stage"].(string); stage != "" {
		if s, err := store.Stage(ctx, n.Bus, project, stage); err == nil {
			labels = s.Metadata.Labels
		}
		if env, err = notify.Env(&ev, labels); err != nil {
			return bus.Poison("bad-event", err)
		}
	}
	var wg sync.WaitGroup
	for i := range routers {
		r := &routers[i]
		routes, err := notify.Routes(n.eval, r, ev.Type, env)
		if err != nil {
			n.failed(ctx, project, &ev, notify.Route{Router: r.Metadata.Name, Index: -1}, 0, err)
		}
		for _, rt := range routes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.deliver(ctx, project, &ev, rt)
			}()
		}
	}
	wg.Wait()
	return ctx.Err()
}

// deliveryKey is the dray-notifications key of a route of an event.
func deliveryKey(project, eventID string, rt notify.Route) string {
	h := sha256.Sum256([]byte(eventID))
	return fmt.Sprintf("%s.%s.%s.%d", project, hex.EncodeToString(h[:12]), rt.Router, rt.Index)
}

// deliver sends a route's message once, retrying with backoff, and records it.
func (n *Notifier) deliver(ctx context.Context, project string, ev *v1.Event, rt notify.Route) {
	key := deliveryKey(project, ev.ID, rt)
	if _, err := n.Bus.Notifications.Get(ctx, key); err == nil {
		n.total.WithLabelValues("duplicate").Inc()
		return
	}
	ref := sendmessage.ChannelRef{Kind: rt.Channel.Kind, Name: rt.Channel.Name}
	log := n.Log.With("project", project, "router", rt.Router, "channel", ref.String(), "event", ev.ID, "type", ev.Type)
	tries := n.Tries
	if tries == 0 {
		tries = DefaultNotifyTries
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = n.Interval, maxNotifyInterval
	if b.InitialInterval <= 0 {
		b.InitialInterval = DefaultNotifyInterval
	}
	attempts := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		sc := &steps.Context{Project: project, Alias: "eventrouter/" + rt.Router, Attempt: attempts, Log: log,
			Config: map[string]any{"channel": map[string]any{"kind": ref.Kind, "name": ref.Name}, "message": rt.Message, "encodingType": rt.EncodingType}}
		_, err := n.Send.Run(ctx, sc)
		if err != nil && steps.IsTerminal(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		if err != nil {
			log.Warn("notification not delivered; retrying", "attempt", attempts, "err", err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(tries), backoff.WithMaxElapsedTime(0))
	if err != nil {
		if ctx.Err() != nil {
			return // redelivered after a restart
		}
		n.failed(ctx, project, ev, rt, attempts, err)
		return
	}
	n.total.WithLabelValues("sent").Inc()
	log.Info("notification delivered", "attempts", attempts)
	if err := n.Bus.Retry(ctx, func(ctx context.Context) error {
		_, err := n.Bus.Notifications.Put(ctx, key, []byte(time.Now().UTC().Format(time.RFC3339)))
		return err
	}); err != nil {
		log.Warn("notification delivered but not recorded: a redelivery of the event would send it again", "err", err)
	}
}

// failed makes a route that cannot be delivered visible: a log line, the counter and a
// notification.failed event (but for a notification.failed event, so failures do not loop).
// An Index of -1 means the router could not be evaluated for the event.
func (n *Notifier) failed(ctx context.Context, project string, ev *v1.Event, rt notify.Route, attempts int, cause error) {
	n.total.WithLabelValues("failed").Inc()
	channel := ""
	if rt.Index >= 0 {
		channel = rt.Channel.Kind + "/" + rt.Channel.Name
	}
	n.Log.Error("notification failed", "project", project, "router", rt.Router, "channel", channel,
		"event", ev.ID, "type", ev.Type, "attempts", attempts, "err", cause)
	if ev.Type == v1.TypeNotificationFailed {
		return
	}
	data := v1.NotificationEvent{Project: project, Router: rt.Router, Channel: channel, Event: ev.ID, EventType: ev.Type,
		Attempts: attempts, Message: cause.Error()}
	h := sha256.Sum256([]byte(ev.ID + "/" + rt.ID()))
	id := "notification-failed-" + hex.EncodeToString(h[:12])
	if err := n.Bus.PublishEvent(ctx, project, v1.TypeNotificationFailed, id, rt.Router, data); err != nil && !errors.Is(err, context.Canceled) {
		n.Log.Warn("notification.failed event not published", "router", rt.Router, "err", err)
	}
}
