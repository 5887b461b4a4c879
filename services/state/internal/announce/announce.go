// Package announce publishes the state service's promotion.* events (pkg/bus/README.md): what
// a recorded Promotion now is, with an ID that a redelivered record re-sends unchanged.
package announce

import (
	"context"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
)

// Promotion publishes an event of type eventType about p with ID id; step, when set, is the
// step it is about.
func Promotion(ctx context.Context, b *bus.Bus, p *v1.Promotion, eventType, id string, step *v1.StepEvent) error {
	data := v1.PromotionEvent{
		Project: p.Metadata.Namespace, Stage: p.Spec.Stage, Promotion: p.Metadata.Name, Freight: p.Spec.Freight,
		Phase: p.Status.Phase, Message: p.Status.Message, Actor: promotion.Actor(p), Step: step,
	}
	return b.PublishEvent(ctx, p.Metadata.Namespace, eventType, id, "promotion/"+p.Metadata.Name, data)
}

// Ended publishes the event of p's final phase (promotion.succeeded, .failed, …), with the ID
// <promotion>/<last word of the type>.
func Ended(ctx context.Context, b *bus.Bus, p *v1.Promotion) error {
	t := v1.PhaseEventType(p.Status.Phase)
	return Promotion(ctx, b, p, t, p.Metadata.Name+"/"+t[strings.LastIndexByte(t, '.')+1:], nil)
}
