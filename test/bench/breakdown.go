package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/store"
)

// StepTimes is where one step's share of a promotion goes, as p50s over the measured
// promotions: Run is the executor's own time (the step's startedAt to finishedAt), Gap the
// time from the previous step's end (or the promotion's start) to this step's start, which is
// the message path: recording the result, dispatching the job, the executor picking it up.
type StepTimes struct {
	Step  string  `json:"step"`
	RunMs float64 `json:"runP50Ms"`
	GapMs float64 `json:"gapP50Ms"`
}

// breakdown reads the recorded Promotions of the given names and returns the p50 of each
// step's run time and of the gap before it, the p50 of the time from the promote command's
// requestedAt (the Promotion's creationTimestamp) to the Promotion's start, and that of the
// time from the last step's end to the Promotion's end.
func (h *harness) breakdown(ctx context.Context, names []string) ([]StepTimes, float64, float64, error) {
	var runs, gaps [][]time.Duration
	var tails, starts []time.Duration
	var aliases []string
	for _, name := range names {
		p, err := store.Promotion(ctx, h.bus, project, name)
		if err != nil {
			return nil, 0, 0, err
		}
		st := p.Status
		if st.StartedAt == nil || st.FinishedAt == nil {
			return nil, 0, 0, fmt.Errorf("promotion %s has no start or end", name)
		}
		if c := p.Metadata.CreationTimestamp; c != nil {
			starts = append(starts, st.StartedAt.Sub(*c))
		}
		prev := *st.StartedAt
		for i, m := range st.StepExecutionMetadata {
			if m.StartedAt == nil || m.FinishedAt == nil {
				return nil, 0, 0, fmt.Errorf("promotion %s step %d has no start or end", name, i)
			}
			if i == len(runs) {
				runs, gaps, aliases = append(runs, nil), append(gaps, nil), append(aliases, m.Alias)
			}
			runs[i] = append(runs[i], m.FinishedAt.Sub(*m.StartedAt))
			gaps[i] = append(gaps[i], m.StartedAt.Sub(prev))
			prev = *m.FinishedAt
		}
		tails = append(tails, st.FinishedAt.Sub(prev))
	}
	out := make([]StepTimes, len(runs))
	for i := range runs {
		out[i] = StepTimes{Step: aliases[i], RunMs: ms(percentile(runs[i], 50)), GapMs: ms(percentile(gaps[i], 50))}
	}
	return out, ms(percentile(starts, 50)), ms(percentile(tails, 50)), nil
}

func reportBreakdown(f *Figures) {
	if len(f.Steps) == 0 {
		return
	}
	var parts []string
	for _, s := range f.Steps {
		parts = append(parts, fmt.Sprintf("%s %.1f (+%.1f)", s.Step, s.RunMs, s.GapMs))
	}
	fmt.Printf("  where it goes, p50 ms: requested to started %.1f; run (+gap before): %s; end +%.1f\n", f.StartGapMs, strings.Join(parts, ", "), f.EndGapMs)
}
