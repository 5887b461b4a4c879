package stage

import (
	"fmt"
	"slices"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
)

// Arrival is when p's Freight entered p's Stage: when p finished, or now if p records no end.
func Arrival(p *v1.Promotion, now time.Time) time.Time {
	if p.Status.FinishedAt != nil {
		return *p.Status.FinishedAt
	}
	return now.UTC()
}

// Receive records in st that p, a successful Promotion into a Stage that requests requested
// origins, delivered its Freight at at: the Stage's history (newest first, at most
// v1.MaxStageHistory entries) gains p, its freightSummary says what it holds, and the
// message saying why its Freight was not verified is cleared. previous is the Freight of
// p's origin that p replaced; changed is false when the history records p already (before
// a crash), and previous is then still what p replaced.
func Receive(st *v1.StageStatus, p *v1.Promotion, requested int, at time.Time) (previous string, changed bool) {
	var alias string
	var origin v1.FreightOrigin
	if f := p.Status.Freight; f != nil {
		alias, origin = f.Alias, f.Origin
	}
	held := false
	for _, h := range st.FreightHistory {
		if h.Promotion == p.Metadata.Name {
			held = true // recorded before a crash; find what it replaced below
			continue
		}
		if sameOrigin(h.Origin, origin) {
			previous = h.Freight
			break
		}
	}
	if held {
		return previous, false
	}
	entry := v1.StageHistoryEntry{Freight: p.Spec.Freight, Origin: origin, Alias: alias, Promotion: p.Metadata.Name,
		Actor: promotion.Actor(p), Since: &at, Rollback: IsRollback(p)}
	st.FreightHistory = append([]v1.StageHistoryEntry{entry}, st.FreightHistory...)
	if len(st.FreightHistory) > v1.MaxStageHistory {
		st.FreightHistory = st.FreightHistory[:v1.MaxStageHistory]
	}
	st.FreightSummary = Summary(st.FreightHistory, requested)
	st.Verification = ""
	return previous, true
}

// Requested is how many origins Stage s requests, at least 1; 1 when s is gone (nil).
func Requested(s *v1.Stage) int {
	if s == nil {
		return 1
	}
	return max(len(s.Spec.RequestedFreight), 1)
}

// Summary is a Stage's freightSummary: the newest Freight's name when the Stage requests
// one origin, else "<held>/<requested> Fulfilled".
func Summary(history []v1.StageHistoryEntry, requested int) string {
	var held []v1.FreightOrigin
	for _, h := range history {
		if !slices.ContainsFunc(held, func(o v1.FreightOrigin) bool { return sameOrigin(o, h.Origin) }) {
			held = append(held, h.Origin)
		}
	}
	if requested == 1 && len(history) > 0 {
		return history[0].Freight
	}
	return fmt.Sprintf("%d/%d Fulfilled", min(len(held), requested), requested)
}

// Leave records in a Freight's status fs that it left stage at at: it is no longer
// currentlyIn the Stage, and if it was verified there, the time it spent there counts
// towards its longest soak. False when it was not in the Stage.
func Leave(fs *v1.FreightStatus, stage string, at time.Time) bool {
	c, in := fs.CurrentlyIn[stage]
	if !in {
		return false
	}
	delete(fs.CurrentlyIn, stage)
	if v, ok := fs.VerifiedIn[stage]; ok && c.Since != nil {
		longest, _ := time.ParseDuration(v.LongestSoak)
		if soaked := at.Sub(*c.Since); soaked > longest {
			v.LongestSoak = soaked.Round(time.Second).String()
			fs.VerifiedIn[stage] = v
		}
	}
	return true
}

// Arrive records in a Freight's status fs that it is in stage since at; false when it was
// there already (its time there runs from its first arrival).
func Arrive(fs *v1.FreightStatus, stage string, at time.Time) bool {
	if _, in := fs.CurrentlyIn[stage]; in {
		return false
	}
	if fs.CurrentlyIn == nil {
		fs.CurrentlyIn = map[string]v1.CurrentStage{}
	}
	fs.CurrentlyIn[stage] = v1.CurrentStage{Since: &at}
	return true
}

// sameOrigin compares origins; an empty one (history recorded before origins were) matches
// any.
func sameOrigin(a, b v1.FreightOrigin) bool {
	return a.Name == "" || b.Name == "" || pipeline.SameOrigin(a, b)
}
