package main

import (
	"fmt"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
)

func newApprove(g *globals) *cobra.Command {
	var stage, reason string
	cmd := &cobra.Command{
		Use:   "approve FREIGHT --stage STAGE [--reason TEXT]",
		Short: "Approve a Freight (name or alias) for a Stage, whatever its upstream Stages say",
		Long: `Approve a Freight for a Stage: it becomes available there without being verified upstream.
Approval creates no Promotion; promote it with dray promote, or let an auto-promoting Stage
take it. Who approved, when and why is recorded on the Freight.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := client.New(g.server)
			project, err := g.resolveProject(cmd.Context(), c)
			if err != nil {
				return err
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
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}
