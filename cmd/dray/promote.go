package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
)

func newPromote(g *globals) *cobra.Command {
	var (
		cmdOpts        v1.PromoteCommand
		downstreamFrom string
		wait           bool
		timeout        time.Duration
		at             string
	)
	cmd := &cobra.Command{
		Use:   "promote --freight F (--stage S | --downstream-from S)",
		Short: "Promote a Freight (by name or alias) to a Stage, or to every Stage downstream of one",
		Long: `Promote a Freight, by name or alias, to a Stage (--stage), or to every Stage that requests
it from a Stage (--downstream-from: the Stages whose requestedFreight of the Freight's origin
lists that Stage in sources.stages), as kargo promote does.

With --wait, follow each Promotion and print its transitions as they happen: queued and
why it waits (a Promotion ahead of it, a paused Stage, a window or a freeze), running, each
step starting and ending; then its steps. The command fails if a Promotion does not succeed.`,
		Example: `  dray promote --stage dev --freight quiet-lynx --wait
  dray promote --downstream-from dev --freight quiet-lynx
  dray promote --stage prod --freight quiet-lynx --override-window --id release-42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (cmdOpts.Stage == "") == (downstreamFrom == "") {
				return errors.New("name the Stage to promote to with --stage, or the Stage whose downstream Stages to promote to with --downstream-from (one of them)")
			}
			if downstreamFrom != "" && cmdOpts.ID != "" {
				return errors.New("--id names one Promotion: it cannot be used with --downstream-from, which may make several")
			}
			ctx := cmd.Context()
			c, project, err := g.connect(ctx)
			if err != nil {
				return err
			}
			cmdOpts.Project = project
			if at != "" {
				t, err := scheduledAt(at, time.Now())
				if err != nil {
					return err
				}
				cmdOpts.After = &t
			}
			if cmdOpts.Actor == "" {
				cmdOpts.Actor = cliActor()
			}
			stages := []string{cmdOpts.Stage}
			if downstreamFrom != "" {
				if stages, err = downstreamOf(ctx, c, project, downstreamFrom, cmdOpts.Freight); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			var names []string
			for _, s := range stages {
				o := cmdOpts
				o.Stage = s
				resp, err := c.Promote(ctx, &o)
				if err != nil {
					return fmt.Errorf("promote %s to stage %s: %w", cmdOpts.Freight, s, err)
				}
				fmt.Fprintf(out, "promotion %s requested\n", resp.Promotion)
				names = append(names, resp.Promotion)
			}
			if !wait {
				return nil
			}
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			var failed []error
			for _, name := range names {
				p, err := c.FollowPromotion(ctx, project, name, follower(ctx, out, c, project))
				if err != nil {
					return err
				}
				printPromotion(out, p, aliasesOf(ctx, c, project))
				if p.Status.Phase != v1.PhaseSucceeded {
					failed = append(failed, fmt.Errorf("promotion %s %s: %s", p.Metadata.Name, p.Status.Phase, p.Status.Message))
				}
			}
			return errors.Join(failed...)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cmdOpts.Stage, "stage", "", "Stage to promote to")
	f.StringVar(&downstreamFrom, "downstream-from", "", "promote to every Stage that requests the Freight from this Stage")
	f.StringVar(&cmdOpts.Freight, "freight", "", "Freight name or alias")
	f.StringVar(&cmdOpts.ID, "id", "", "idempotency key: the same key twice creates one Promotion")
	f.BoolVar(&cmdOpts.OverrideWindow, "override-window", false, "start it even outside the Stage's promotion windows (recorded on the Promotion)")
	f.StringVar(&at, "at", "", "schedule it: it waits in the Stage's queue until this time, RFC 3339 (2026-12-24T02:00:00Z) or a duration from now (2h)")
	f.BoolVar(&wait, "wait", false, "follow the Promotion, print its transitions as they happen and show its steps")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "with --wait, how long to wait")
	_ = cmd.MarkFlagRequired("freight")
	registerNameCompletion(cmd, g, "stage", "stages")
	registerNameCompletion(cmd, g, "downstream-from", "stages")
	registerNameCompletion(cmd, g, "freight", "freight")
	return cmd
}

// downstreamOf names the Stages that request freight's origin from stage, in name order.
func downstreamOf(ctx context.Context, c *client.Client, project, stage, freight string) ([]string, error) {
	f, err := c.GetFreight(ctx, project, freight)
	if err != nil {
		return nil, fmt.Errorf("freight %s: %w", freight, err)
	}
	if _, err := c.Stage(ctx, project, stage); err != nil {
		return nil, fmt.Errorf("--downstream-from %s: %w", stage, err)
	}
	all, err := c.Stages(ctx, project)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range all {
		for _, r := range s.Spec.RequestedFreight {
			if r.Origin.Name == f.Origin.Name && r.Origin.Kind == f.Origin.Kind && slices.Contains(r.Sources.Stages, stage) {
				out = append(out, s.Metadata.Name)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Stage requests Freight of %s %s from stage %s: nothing is downstream of it", f.Origin.Kind, f.Origin.Name, stage)
	}
	slices.Sort(out)
	return out, nil
}

// follower returns the function WaitPromotion calls with each version of a Promotion it
// reads; it prints what changed since the last one: the phase, why a queued Promotion waits,
// and each step starting and ending.
func follower(ctx context.Context, w io.Writer, c *client.Client, project string) func(*v1.Promotion) {
	var (
		phase, message, waiting string
		steps                   = map[int]string{}
	)
	return func(p *v1.Promotion) {
		name := p.Metadata.Name
		if p.Status.Phase != phase {
			ran := phase == v1.PhaseRunning
			phase = p.Status.Phase
			switch {
			case phase == v1.PhasePending || phase == "":
				fmt.Fprintf(w, "%s: queued for stage %s\n", name, p.Spec.Stage)
			case phase == v1.PhaseRunning,
				// Seen first when it has ended (it ran between two versions the watch
				// delivered): it ran all the same.
				!ran && len(p.Status.StepExecutionMetadata) > 0 && p.Status.StepExecutionMetadata[0].StartedAt != nil:
				fmt.Fprintf(w, "%s: running\n", name)
			}
		}
		if phase == v1.PhasePending || phase == "" {
			if why := waitReason(ctx, c, project, p); why != "" && why != waiting {
				waiting = why
				fmt.Fprintf(w, "%s: waiting: %s\n", name, why)
			}
		}
		for i, m := range p.Status.StepExecutionMetadata {
			status := m.Status
			if status == "" || status == steps[i] {
				continue
			}
			first := steps[i] == ""
			steps[i] = status
			step := m.Alias
			if m.Uses != "" {
				step += " (" + m.Uses + ")"
			}
			if first && (status == v1.PhaseRunning || m.StartedAt != nil) {
				// A step seen first when it has ended had started all the same.
				fmt.Fprintf(w, "%s: step %s started\n", name, step)
			}
			if status == v1.PhaseRunning {
				continue
			}
			took := ""
			if m.StartedAt != nil && m.FinishedAt != nil {
				took = " in " + m.FinishedAt.Sub(*m.StartedAt).Round(time.Millisecond).String()
			}
			detail := ""
			if m.Message != "" {
				detail = ": " + oneLine(m.Message)
			}
			fmt.Fprintf(w, "%s: step %s %s%s%s\n", name, step, status, took, detail)
		}
		if p.Status.Finished() {
			fmt.Fprintf(w, "%s: %s\n", name, p.Status.Phase)
		}
		if p.Status.Message != message && p.Status.Message != "" && !p.Status.Finished() {
			message = p.Status.Message
			fmt.Fprintf(w, "%s: %s\n", name, oneLine(message))
		}
	}
}

// waitReason says why a queued Promotion has not started, from its Stage's status.
func waitReason(ctx context.Context, c *client.Client, project string, p *v1.Promotion) string {
	s, err := c.Stage(ctx, project, p.Spec.Stage)
	if err != nil {
		return ""
	}
	st := s.Status
	switch {
	case st.Paused != nil:
		why := "stage " + s.Metadata.Name + " is paused"
		if st.Paused.By != "" {
			why += " by " + st.Paused.By
		}
		if st.Paused.Reason != "" {
			why += " (" + st.Paused.Reason + ")"
		}
		return why + ": dray resume " + s.Metadata.Name + " lets it start"
	case st.CurrentPromotion != nil && st.CurrentPromotion.Name != p.Metadata.Name:
		return "behind promotion " + st.CurrentPromotion.Name + ", running in stage " + s.Metadata.Name
	case st.Waiting != "":
		return st.Waiting
	}
	return ""
}

// scheduledAt reads dray promote --at: an RFC 3339 time, or a positive duration from now.
func scheduledAt(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("--at: %q is neither an RFC 3339 time (2026-12-24T02:00:00Z) nor a positive duration from now (2h)", s)
	}
	return now.Add(d).UTC(), nil
}
