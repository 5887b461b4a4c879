package promotion

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/secret"
)

// Driver runs a Promotion in one process, without NATS: dray run uses it, and so do the
// golden tests of whole templates. The scheduler does the same over NATS, one event at a time.
type Driver struct {
	Eval *expr.Evaluator
	// Route says which steps exist; the orchestrator's own ("scheduler") run in Prepare.
	Route func(uses string) (string, bool)
	// Orchestrated reports which of the kinds Route sends to Scheduler Run runs (see
	// PrepareOptions); nil means none.
	Orchestrated func(uses string) bool
	// Data backs secret(), configMap() and the metadata functions; zero means none.
	Data Data
	// Run runs one attempt of a job and returns its result.
	Run func(ctx context.Context, job *v1.StepJob, executor string) *v1.StepResult
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Sleep waits until a delayed attempt may run. Default: a timer that ends with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observe, when set, sees every result as it is recorded.
	Observe func(p *v1.Promotion, r *v1.StepResult)
}

// Drive runs p until it finishes and returns it with its final phase. It returns an error
// only when ctx ends first.
func (d *Driver) Drive(ctx context.Context, p *v1.Promotion) (*v1.Promotion, error) {
	now, sleep := d.Now, d.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = func(ctx context.Context, dur time.Duration) error {
			t := time.NewTimer(dur)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	Start(p, now())
	for {
		act := Next(p, now())
		switch act.Kind {
		case Nothing:
			return p, nil
		case Finish:
			end := now().UTC()
			p.Status.Phase, p.Status.Message, p.Status.FinishedAt = act.Phase, act.Message, &end
			return p, nil
		}
		if wait := act.NotBefore.Sub(now()); wait > 0 {
			if err := sleep(ctx, wait); err != nil {
				return p, fmt.Errorf("promotion %s: %w", p.Metadata.Name, err)
			}
		}
		prep := Prepare(d.Eval, p, act, PrepareOptions{Route: d.Route, Data: d.Data, Now: now(), Orchestrated: d.Orchestrated})
		r := prep.Result
		if r == nil {
			// As an executor does, report nothing of the secrets the config read.
			r = secret.NewRedactor(prep.Secrets).Result(d.Run(ctx, prep.Job, prep.Executor))
		}
		if ctx.Err() != nil {
			return p, fmt.Errorf("promotion %s: %w", p.Metadata.Name, ctx.Err())
		}
		if !Record(p, r, now()) {
			return p, fmt.Errorf("promotion %s: result of step %q attempt %d was not recorded", p.Metadata.Name, r.Alias, r.Attempt)
		}
		if d.Observe != nil {
			d.Observe(p, r)
		}
	}
}
