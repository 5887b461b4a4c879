package scheduler

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/timer"
	"github.com/drayhq/dray/services/scheduler/internal/autopromote"
	"github.com/drayhq/dray/services/scheduler/internal/commands"
	"github.com/drayhq/dray/services/scheduler/internal/converge"
	"github.com/drayhq/dray/services/scheduler/internal/human"
)

// Options tune the scheduler.
type Options struct {
	// Route maps a step kind to the executor that runs it. Default steps.ExecutorFor; tests
	// and benchmarks add their own step kinds.
	Route func(uses string) (executor string, ok bool)
	// Resync is how often auto-promotion is evaluated in every project even when no event or
	// apply asks for it, so that the pipeline converges after anything missed. 0 means
	// DefaultResync (5m); negative turns it off. Default $DRAY_SCHEDULER_RESYNC.
	Resync time.Duration
	// UIBaseURL is ctx.uiBaseUrl in promotion expressions: the gateway's URL as people reach
	// it, for links in messages. Default $DRAY_UI_BASE_URL, else $DRAY_EXTERNAL_URL (the
	// gateway's --external-url); empty when neither is set.
	UIBaseURL string
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	resync := DefaultResync
	if d, err := time.ParseDuration(os.Getenv("DRAY_SCHEDULER_RESYNC")); err == nil {
		resync = d
	}
	ui := os.Getenv("DRAY_UI_BASE_URL")
	if ui == "" {
		ui = os.Getenv("DRAY_EXTERNAL_URL")
	}
	fs.StringVar(&o.UIBaseURL, "ui-base-url", ui, "the gateway's URL as people reach it: ctx.uiBaseUrl in promotion expressions ($DRAY_UI_BASE_URL, else $DRAY_EXTERNAL_URL)")
	fs.DurationVar(&o.Resync, "resync", resync, "how often auto-promotion is evaluated in every project without an event asking for it (negative: never)")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	if u, err := url.Parse(o.UIBaseURL); o.UIBaseURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return fmt.Errorf("--ui-base-url %q is not an http(s) URL such as https://dray.example.com", o.UIBaseURL)
	}
	return nil
}

type scheduler struct {
	service.Deps
	route func(string) (string, bool)
	expr  *expr.Evaluator
	ui    string // ctx.uiBaseUrl

	auto   *autopromote.Promoter
	human  *human.Human
	timers timer.Set // human steps' timeouts

	commands *commands.Handler
}

// Run handles commands and promotion events until ctx ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	s := &scheduler{Deps: d, route: opts.Route, expr: expr.New(), ui: opts.UIBaseURL,
		auto: &autopromote.Promoter{Bus: d.Bus, Log: d.Log}}
	s.human = &human.Human{Bus: d.Bus, Log: d.Log, Timers: &s.timers, Reconcile: s.reconcile}
	timers, stopTimers := context.WithCancel(ctx)
	defer stopTimers()
	go s.auto.RunTimers(timers)
	go s.timers.Run(timers)
	if s.route == nil {
		s.route = Route
	}
	// The watch starts before the evaluation at start, so no apply falls between the two.
	bg, stopBg := context.WithCancel(ctx)
	watching, err := converge.Watch(bg, d.Bus, d.Log, s.auto.Origin)
	if err != nil {
		stopBg()
		return err
	}
	defer func() { stopBg(); watching() }()
	senders, err := commands.WatchSenders(bg, d.Bus)
	if err != nil {
		return err
	}
	s.commands = &commands.Handler{Bus: d.Bus, Log: d.Log, Senders: senders, Wake: s.handleWake}
	if opts.Resync == 0 {
		opts.Resync = DefaultResync
	}
	if opts.Resync > 0 {
		go converge.Every(bg, opts.Resync, d.Log, s.auto.All)
	}
	failures, err := audit.NewFailures(d.Metrics)
	if err != nil {
		return err
	}
	commands, err := bus.CountCommands(d.Metrics, audit.Commands(d.Bus, d.Log, s.commands.Handle, audit.WithFailures(failures)))
	if err != nil {
		return err
	}
	errs := make(chan error, 4)
	go func() {
		errs <- d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
			Stream: bus.StreamCommands, Durable: "scheduler-commands",
			Filters: bus.CommandFilters("promote", "abort", "approve", "verify", "pause", "resume", "wake", "reject", "input"),
			Metrics: d.Metrics,
		}, commands)
	}()
	go func() {
		filters := make([]string, len(pipelineEvents))
		for i, t := range pipelineEvents {
			filters[i] = bus.EventSubject("*", t)
		}
		errs <- d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
			Stream: bus.StreamEvents, Durable: "scheduler-pipeline", Filters: filters, Metrics: d.Metrics,
		}, s.handleFreightEvent)
	}()
	go func() {
		errs <- d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
			Stream: bus.StreamEvents, Durable: "scheduler-promotions", Metrics: d.Metrics,
			Filters: []string{
				bus.EventSubject("*", v1.TypePromotionStarted),
				bus.EventSubject("*", v1.TypePromotionStepFinished),
				bus.EventSubject("*", v1.TypePromotionStepRunning),
			},
		}, s.handleEvent)
	}()
	go func() {
		errs <- d.Bus.Consume(ctx, d.Log, bus.ConsumerOptions{
			Stream: bus.StreamEvents, Durable: "scheduler-health",
			Filters: []string{bus.EventSubject("*", v1.TypeStageHealthChanged)}, Metrics: d.Metrics,
		}, s.handleHealth)
	}()
	go func() {
		if err := s.auto.All(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("auto-promotion not evaluated at start; it runs on the next event", "err", err)
		}
	}()
	go func() {
		if err := s.human.Resume(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("waiting human steps not resumed at start; each is on its next event", "err", err)
		}
	}()
	d.Log.Info("scheduler ready")
	for range 4 {
		if err := <-errs; err != nil {
			return err // a consumer could not start: the service fails, and is restarted
		}
	}
	return nil
}

// ContainerExecutor runs the CustomPromotionStep kinds.
const ContainerExecutor = "container"

// Route maps the built-in step kinds to their executors, and the orchestrator's own steps to
// the scheduler. The scheduler also sends every CustomPromotionStep kind a project sees to
// ContainerExecutor.
func Route(uses string) (string, bool) { return steps.ExecutorFor(uses) }
