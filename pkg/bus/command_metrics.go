package bus

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/metric"
)

// Results of a command, the result label of dray_commands_total.
const (
	// CommandAccepted: the handler carried the command out (or found it done already).
	CommandAccepted = "accepted"
	// CommandRejected: the handler poisoned it: it can never be carried out.
	CommandRejected = "rejected"
	// CommandRetried: the handler failed, and the command is delivered again.
	CommandRetried = "retried"
)

// CountCommands wraps the handler of a DRAY_COMMANDS consumer so that each command it handles
// is counted in dray_commands_total{verb,result}, verb being the last token of
// dray.cmd.<project>.<verb> (bounded: a consumer's filters name its verbs).
func CountCommands(reg prometheus.Registerer, h Handler) (Handler, error) {
	c, err := metric.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_commands_total",
		Help: "Commands handled, by verb and result (accepted, rejected, retried).",
	}, []string{"verb", "result"}))
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, msg jetstream.Msg) error {
		err := h(ctx, msg)
		result := CommandAccepted
		var poison *PoisonError
		switch {
		case err == nil, errors.Is(err, ErrHandled):
		case errors.As(err, &poison):
			result = CommandRejected
		default:
			result = CommandRetried
		}
		verb := msg.Subject()[strings.LastIndexByte(msg.Subject(), '.')+1:]
		c.WithLabelValues(verb, result).Inc()
		return err
	}, nil
}
