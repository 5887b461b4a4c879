package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newAbort(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "abort PROMOTION",
		Short: "Stop a Promotion: its running step is aborted and later steps do not run",
		Example: `  dray abort dev.01jd8x2k7f.3f2a1c9
  dray get promotions -o name   # to find it`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(g, "promotions"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.Abort(cmd.Context(), project, args[0], cliActor()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "abort of promotion %s requested\n", args[0])
			return nil
		},
	}
}

// cliActor names who runs the CLI, for the record: user:$USER, or empty.
func cliActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "user:" + u
	}
	return ""
}
