package main

import (
	"fmt"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

func newApprove(g *globals) *cobra.Command {
	var stage, reason, promotion, step string
	cmd := &cobra.Command{
		Use:   "approve FREIGHT --stage STAGE [--reason TEXT] | approve --promotion PROMOTION --step STEP",
		Short: "Approve a Freight (name or alias) for a Stage, or a Promotion's wait-for-approval step",
		Long: `Approve a Freight for a Stage: it becomes available there without being verified upstream.
Approval creates no Promotion; promote it with dray promote, or let an auto-promoting Stage
take it. Who approved, when and why is recorded on the Freight.

With --promotion and --step, approve a Promotion's waiting wait-for-approval step instead
(docs/steps/wait-for-approval.md): your approval counts when the step's approver rule names
you, once; the step succeeds when enough approvers have approved.`,
		Example: `  dray approve quiet-lynx --stage prod --reason "checked in staging"
  dray promote --stage prod --freight quiet-lynx
  dray approve --promotion prod.01jd8x2k7f.3f2a1c9 --step sign-off --reason "change log read"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if promotion != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		ValidArgsFunction: completeArgs(g, "freight"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case promotion != "" && (step == "" || stage != ""):
				return fmt.Errorf("--promotion needs --step (the wait-for-approval step's alias) and no --stage")
			case promotion == "" && (stage == "" || step != ""):
				return fmt.Errorf("approving a Freight needs --stage; --step goes with --promotion")
			}
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			if promotion != "" {
				if err := c.ApproveStep(cmd.Context(), project, promotion, step, reason); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "approval of step %s of promotion %s requested\n", step, promotion)
				return nil
			}
			a := &v1.ApproveCommand{Project: project, Freight: args[0], Stage: stage, Actor: cliActor(), Reason: reason}
			if err := c.Approve(cmd.Context(), a); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "approval of freight %s for stage %s requested\n", args[0], stage)
			return nil
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "the Stage to approve the Freight for")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	cmd.Flags().StringVar(&promotion, "promotion", "", "approve this Promotion's wait-for-approval step (with --step)")
	cmd.Flags().StringVar(&step, "step", "", "the alias of the wait-for-approval step (with --promotion)")
	registerNameCompletion(cmd, g, "stage", "stages")
	registerNameCompletion(cmd, g, "promotion", "promotions")
	return cmd
}

// newReject is dray reject, and dray unreject (undo true): a rejected Freight is not
// promoted where it is rejected (docs/resources.md#freight-rejection).
func newReject(g *globals, undo bool) *cobra.Command {
	var stage, reason string
	use, short := "reject FREIGHT [--stage STAGE] [--reason TEXT] [--undo]", "Reject a Freight (name or alias): it is not promoted, for one Stage or every Stage"
	example := `  dray reject quiet-lynx --stage prod --reason "CVE-2026-1234 in the base image"
  dray reject quiet-lynx --stage prod --undo`
	if undo {
		use, short = "unreject FREIGHT [--stage STAGE]", "Take back a rejection of a Freight (dray reject --undo)"
		example = `  dray unreject quiet-lynx --stage prod`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: `Reject a Freight: neither a person nor auto-promotion promotes it to the Stage (--stage),
or to any Stage; promoting it is refused with the reason. Who rejected it, when and why is
recorded on the Freight and in the audit trail. --undo (or dray unreject) takes the rejection
for the Stage back, or, without --stage, every rejection of the Freight.`,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			r := &v1.RejectCommand{Project: project, Freight: args[0], Stage: stage, Actor: cliActor(), Reason: reason, Undo: undo}
			if err := c.Reject(cmd.Context(), r); err != nil {
				return err
			}
			what, where := "rejection", "every stage"
			if undo {
				what = "undoing the rejection"
			}
			if stage != "" {
				where = "stage " + stage
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s of freight %s for %s requested\n", what, args[0], where)
			return nil
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "the Stage to reject the Freight for (default: every Stage)")
	if !undo {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for the record; refused promotions repeat it")
		cmd.Flags().BoolVar(&undo, "undo", false, "take the rejection back")
	}
	return cmd
}

func newVerify(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "verify STAGE",
		Short:             "Re-run a Stage's verification of the Freight it holds",
		Example:           "  dray verify staging",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(g, "stages"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.Verify(cmd.Context(), &v1.VerifyCommand{Project: project, Stage: args[0], Actor: cliActor()}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "verification of stage %s requested\n", args[0])
			return nil
		},
	}
}

func newPause(g *globals, verb string) *cobra.Command {
	var reason string
	short := "Pause a Stage: Promotions to it queue and do not start until it resumes"
	if verb == "resume" {
		short = "Resume a paused Stage: its queued Promotions start"
	}
	cmd := &cobra.Command{
		Use:               verb + " STAGE",
		Short:             short,
		Example:           "  dray " + verb + " prod --reason \"release freeze until Monday\"",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(g, "stages"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.Pause(cmd.Context(), verb, &v1.StageCommand{Project: project, Stage: args[0], Actor: cliActor(), Reason: reason}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s of stage %s requested\n", verb, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	return cmd
}

func newAlias(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "alias FREIGHT NEW-ALIAS",
		Short:             "Give a Freight (name or alias) a new alias; its old alias is freed",
		Example:           "  dray alias quiet-lynx release-1.4",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeArgs(g, "freight", ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			f, err := c.SetAlias(cmd.Context(), project, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "freight %s is now %s\n", f.Metadata.Name, f.Alias)
			return nil
		},
	}
}
