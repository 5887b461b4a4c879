package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/pkg/client"
)

// Shell completion of names: each asks the gateway, with the command's --server, --project
// and token, for the names of one kind. Completion that cannot reach it offers nothing.

// completionTimeout bounds the gateway calls of one completion: a shell waits for them.
const completionTimeout = 3 * time.Second

// namesOf lists the names of kind ("projects", "stages", "warehouses", "freight" — Freight by
// alias and name, "promotions") that start with prefix.
func namesOf(cmd *cobra.Command, g *globals, kind, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	var names []string
	if kind == "projects" {
		c, err := g.newClient()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		if names, err = c.Projects(ctx); err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
	} else {
		c, project, err := g.connect(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		if names, err = listNames(ctx, c, project, kind); err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
	}
	var out []cobra.Completion
	for _, n := range names {
		if n != "" && strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func listNames(ctx context.Context, c *client.Client, project, kind string) ([]string, error) {
	var names []string
	switch kind {
	case "stages":
		list, err := c.Stages(ctx, project)
		for _, s := range list {
			names = append(names, s.Metadata.Name)
		}
		return names, err
	case "warehouses":
		list, err := c.Warehouses(ctx, project)
		for _, w := range list {
			names = append(names, w.Metadata.Name)
		}
		return names, err
	case "freight":
		list, err := c.Freight(ctx, project)
		for _, f := range list { // aliases first: they are what people type
			names = append(names, f.Alias)
		}
		for _, f := range list {
			names = append(names, f.Metadata.Name)
		}
		return names, err
	case "promotions":
		list, err := c.Promotions(ctx, project)
		for _, p := range list {
			names = append(names, p.Metadata.Name)
		}
		return names, err
	}
	return nil, nil
}

// completeArgs completes the positional arguments of a command with the names of kinds, one
// kind per position.
func completeArgs(g *globals, kinds ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= len(kinds) || kinds[len(args)] == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return namesOf(cmd, g, kinds[len(args)], toComplete)
	}
}

// completeGet completes dray get's KIND, then the names of that kind.
func completeGet(g *globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			var out []cobra.Completion
			for _, k := range []string{"projects", "promotions", "stages", "warehouses", "freight", "secrets", "tokens"} {
				if strings.HasPrefix(k, toComplete) {
					out = append(out, k)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		case 1:
			if kind, ok := kindOf(args[0]); ok && kind != "secrets" && kind != "tokens" {
				return namesOf(cmd, g, kind, toComplete)
			}
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// registerNameCompletion completes flag with the names of kind.
func registerNameCompletion(cmd *cobra.Command, g *globals, flag, kind string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return namesOf(cmd, g, kind, toComplete)
	})
}
