// Package verdict records people's verdicts on Freight for the state service: its approval
// for a Stage, its rejection (docs/resources.md#freight-rejection) and the undoing of one. Each is
// applied to the Freight's status by pkg/stage's rules and announced with an event.
package verdict

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/stage"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/services/state/internal/records"
)

// Recorder records verdicts. Its fields are set by the state service.
type Recorder struct {
	Bus     *bus.Bus
	Log     *slog.Logger
	Records *records.Writer
}

// Approve records an approval of a Freight for a Stage (stage.Approve) and announces it. A
// repeated one changes nothing and re-sends the event with the same ID.
func (v *Recorder) Approve(ctx context.Context, r *v1.FreightRecord) error {
	at := time.Now().UTC()
	if r.At != nil {
		at = r.At.UTC()
	}
	err := v.Records.FreightStatus(ctx, r.Project, r.Freight, func(fs *v1.FreightStatus) { stage.Approve(fs, r.Stage, r.Actor, r.Reason, at) })
	if err != nil {
		return err
	}
	f, err := store.Freight(ctx, v.Bus, r.Project, r.Freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since; freightStatus said so
	}
	if err != nil {
		return err
	}
	a := f.Status.ApprovedFor[r.Stage]
	v.Log.Info("freight approved", "project", r.Project, "freight", r.Freight, "stage", r.Stage, "by", a.By)
	ev := v1.FreightEvent{Project: r.Project, Freight: r.Freight, Alias: f.Alias, Origin: f.Origin, Stage: r.Stage,
		Actor: a.By, Message: a.Reason}
	return v.Bus.PublishEvent(ctx, r.Project, v1.TypeFreightApproved, stage.ApprovalID(r.Project, r.Freight, r.Stage, a), "freight/"+r.Freight, ev)
}

// Reject records a Freight's rejection, or takes it back (stage.Reject, stage.Unreject), and
// announces it with freight.rejected or freight.unrejected. A repeated record changes nothing
// and re-sends the event with the same ID: the rejection on record names it.
func (v *Recorder) Reject(ctx context.Context, r *v1.FreightRecord) error {
	at := time.Now().UTC()
	if r.At != nil {
		at = r.At.UTC()
	}
	err := v.Records.FreightStatus(ctx, r.Project, r.Freight, func(fs *v1.FreightStatus) {
		if r.Op == v1.FreightUnreject {
			stage.Unreject(fs, r.Stage)
			return
		}
		stage.Reject(fs, r.Stage, r.Actor, r.Reason, at)
	})
	if err != nil {
		return err
	}
	f, err := store.Freight(ctx, v.Bus, r.Project, r.Freight)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since; freightStatus said so
	}
	if err != nil {
		return err
	}
	t, ev := v1.TypeFreightUnrejected, v1.FreightEvent{Project: r.Project, Freight: r.Freight, Alias: f.Alias, Origin: f.Origin, Stage: r.Stage,
		Actor: r.Actor, Message: r.Reason}
	if r.Op == v1.FreightReject {
		t = v1.TypeFreightRejected
		rej := f.Status.Rejected
		if rr, ok := f.Status.RejectedFor[r.Stage]; r.Stage != "" && ok {
			rej = &rr
		}
		if rej != nil { // the rejection on record: the first
			ev.Actor, ev.Message = rej.By, rej.Reason
			if rej.At != nil {
				at = *rej.At
			}
		}
	}
	v.Log.Info("freight "+r.Op+"ed", "project", r.Project, "freight", r.Freight, "stage", r.Stage, "by", ev.Actor)
	id := r.Project + "/" + r.Freight + "/" + t[strings.LastIndexByte(t, '.')+1:] + "/" + r.Stage + "/" + strconv.FormatInt(at.UnixNano(), 10)
	return v.Bus.PublishEvent(ctx, r.Project, t, id, "freight/"+r.Freight, ev)
}
