package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
)

// input records a person's approval or answers on a waiting human step
// (docs/steps/wait-for-approval.md) and announces it with promotion.step.running, which the
// scheduler reacts to by deciding the step again. Recording is compare-and-set, so two
// approvals at once are both kept; the same person's second approval is not. The
// announcement's ID counts the step's inputs, so a redelivered record announces nothing new.
func (s *state) input(ctx context.Context, r *v1.PromotionRecord) error {
	key := bus.Key(r.Project, r.Name)
	p, changed, err := s.update(ctx, key, func(p *v1.Promotion) bool { return promotion.AddInput(p, r.Step, *r.Input) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return bus.Poison(bus.ReasonNotFound, fmt.Errorf("input record for promotion %q, which does not exist in project %q", r.Name, r.Project))
	}
	if err != nil {
		return err
	}
	i, m, ok := promotion.Waiting(p, r.Step)
	if !ok {
		return nil // finished meanwhile: nothing waits for the input
	}
	if changed {
		s.Log.Info("human step input recorded", "project", r.Project, "promotion", r.Name, "step", r.Step,
			"actor", r.Input.Actor, "approved", r.Input.Approved)
	}
	step := &v1.StepEvent{Index: i, Alias: m.Alias, Uses: m.Uses, Attempt: m.Attempts, Status: m.Status, Message: m.Message}
	return s.publish(ctx, p, v1.TypePromotionStepRunning, p.Metadata.Name+"/"+m.Alias+"/input/"+strconv.Itoa(len(m.Inputs)), step)
}
