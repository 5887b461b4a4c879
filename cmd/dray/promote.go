package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

func newPromote(g *globals) *cobra.Command {
	var (
		cmdOpts v1.PromoteCommand
		wait    bool
		timeout time.Duration
		at      string
	)
	cmd := &cobra.Command{
		Use:   "promote --stage S --freight F",
		Short: "Promote a Freight (by name or alias) to a Stage",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, project, err := g.connect(cmd.Context())
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
			resp, err := c.Promote(cmd.Context(), &cmdOpts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "promotion %s requested\n", resp.Promotion)
			if !wait {
				return nil
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = contextWithTimeout(ctx, timeout)
				defer cancel()
			}
			p, err := c.WaitPromotion(ctx, project, resp.Promotion, nil)
			if err != nil {
				return err
			}
			printPromotion(out, p)
			if p.Status.Phase != v1.PhaseSucceeded {
				return fmt.Errorf("promotion %s %s: %s", p.Metadata.Name, p.Status.Phase, p.Status.Message)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cmdOpts.Stage, "stage", "", "Stage to promote to")
	f.StringVar(&cmdOpts.Freight, "freight", "", "Freight name or alias")
	f.StringVar(&cmdOpts.ID, "id", "", "idempotency key: the same key twice creates one Promotion")
	f.BoolVar(&cmdOpts.OverrideWindow, "override-window", false, "start it even outside the Stage's promotion windows (recorded on the Promotion)")
	f.StringVar(&at, "at", "", "schedule it: it waits in the Stage's queue until this time, RFC 3339 (2026-12-24T02:00:00Z) or a duration from now (2h)")
	f.BoolVar(&wait, "wait", false, "wait for the Promotion to finish and show its steps")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "with --wait, how long to wait")
	_ = cmd.MarkFlagRequired("stage")
	_ = cmd.MarkFlagRequired("freight")
	return cmd
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
