package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/pkg/bus"
)

func newNATS() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "nats",
		Short:   "NATS for the external layout (dray up configures its own)",
		Example: "  dray nats config --seeds-dir /etc/dray/nkeys > nats-server.conf",
	}
	var (
		seedsDir, storeDir string
		executors, projs   []string
	)
	config := &cobra.Command{
		Use:   "config --seeds-dir DIR",
		Short: "Print a nats-server configuration with a user per Dray service",
		Long: `Print a nats-server configuration (JetStream, and one nkey user per role with the
permissions of pkg/bus/README.md "Who may do what on the bus"), and keep each role's nkey
seed in --seeds-dir as <role>.nk (mode 0600; seeds already there are kept, so running it
again prints the same users). Start each service with --nats-nkey DIR/<service>.nk.

Roles: gateway, scheduler, state, warehouse, argocd-health, executor-<kind> for the built-in
executors and each --executor, project-<project> for each --project (an outside system that
publishes the project's commands and reads its events), and admin (everything: for people
and for changing the layout's configuration).`,
		Example: `  dray nats config --seeds-dir /etc/dray/nkeys > nats-server.conf
  dray nats config --seeds-dir /etc/dray/nkeys --project shop --executor custom`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seedsDir == "" {
				return errors.New("dray nats config: --seeds-dir is required: the directory where each role's nkey seed is kept")
			}
			roles := append(bus.ServiceRoles(append(append([]string{}, bus.BuiltinExecutors...), executors...)), bus.RoleAdmin)
			for _, p := range projs {
				roles = append(roles, bus.ProjectRole(p))
			}
			var users bus.Users
			for _, r := range roles {
				if _, err := bus.PermissionsOf(r); err != nil {
					return fmt.Errorf("dray nats config: %w", err)
				}
				kp, err := bus.EnsureSeed(bus.SeedFile(seedsDir, r))
				if err != nil {
					return fmt.Errorf("dray nats config: role %s: %w", r, err)
				}
				if err := users.Add(r, kp); err != nil {
					return err
				}
			}
			return users.WriteServerConfig(cmd.OutOrStdout(), storeDir)
		},
	}
	f := config.Flags()
	f.StringVar(&seedsDir, "seeds-dir", "", "directory of the roles' nkey seeds (<role>.nk, 0600); made if missing")
	f.StringVar(&storeDir, "store-dir", "", "JetStream's store_dir in the printed configuration (default: the server's)")
	f.StringSliceVar(&executors, "executor", nil, "kinds of executors beyond the built-in ones (repeatable)")
	f.StringSliceVar(&projs, "project", nil, "projects whose outside clients get a credential (repeatable)")
	cmd.AddCommand(config)
	return cmd
}
