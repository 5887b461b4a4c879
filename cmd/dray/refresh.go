package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

func newRefresh(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh warehouse NAME",
		Short: "Run a Warehouse's discovery now instead of at its next interval",
		Long: `Ask the warehouse service to discover what a Warehouse's subscriptions offer now.
Its status (dray get warehouse NAME -o yaml) shows the refresh's ID as lastHandledRefresh once
discovery ran.`,
		Example: `  dray refresh warehouse guestbook
  dray get warehouse guestbook -o jsonpath='{.status.lastHandledRefresh}'`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []cobra.Completion{"warehouse"}, cobra.ShellCompDirectiveNoFileComp
			}
			return completeArgs(g, "", "warehouses")(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if kind := strings.ToLower(args[0]); kind != "warehouse" && kind != "warehouses" {
				return fmt.Errorf("unknown kind %q: only warehouses are refreshed", args[0])
			}
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			req := &v1.RefreshCommand{Project: project, Warehouse: args[1]}
			if u := os.Getenv("USER"); u != "" {
				req.Actor = "user:" + u
			}
			sent, err := c.Refresh(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "refresh of warehouse %s requested (id %s)\n", args[1], sent.ID)
			return nil
		},
	}
}
