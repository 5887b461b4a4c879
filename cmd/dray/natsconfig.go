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
		usersOnly          bool
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
publishes the project's commands, as dray.cmd.<project>.<verb>._nkey, and reads its events;
a project's API token does the same without a seed, see dray token create --nats), and admin (everything: for people
and for changing the layout's configuration).

Every other client is asked about through NATS auth callout, which the gateway answers
(--nats-callout-seed DIR/callout.nk, the account seed kept there): a project's API token
connects as its NATS token, allowed only its project's commands and events (dray token
create --nats). The server encrypts its callout requests, which carry the token, to the curve
key whose seed is kept as DIR/callout-xkey.nk (the auth_callout block's xkey): give it to the
gateway too (--nats-callout-xkey DIR/callout-xkey.nk). The gateway's second user, system (--nats-system-nkey DIR/system.nk), is in
the system account and may only disconnect clients: it closes a token's NATS connections as
soon as the token is revoked, deleted or expires.

--users-only prints only the authorization block (with the auth callout, and the system
account of the system user), for a server
configuration of your own to include (the Helm chart's NATS includes it from a Secret:
docs/deploy.md).`,
		Example: `  dray nats config --seeds-dir /etc/dray/nkeys > nats-server.conf
  dray nats config --seeds-dir /etc/dray/nkeys --project shop --executor custom`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seedsDir == "" {
				return errors.New("dray nats config: --seeds-dir is required: the directory where each role's nkey seed is kept")
			}
			roles := append(bus.ServiceRoles(append(append([]string{}, bus.BuiltinExecutors...), executors...)), bus.RoleSystem, bus.RoleAdmin)
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
			issuer, err := bus.EnsureCalloutSeed(bus.CalloutSeedFile(seedsDir))
			if err != nil {
				return fmt.Errorf("dray nats config: auth callout key: %w", err)
			}
			if err := users.UseCallout(issuer); err != nil {
				return err
			}
			xkey, err := bus.EnsureCalloutXKey(bus.CalloutXKeyFile(seedsDir))
			if err != nil {
				return fmt.Errorf("dray nats config: auth callout xkey: %w", err)
			}
			if err := users.UseCalloutXKey(xkey); err != nil {
				return err
			}
			if usersOnly {
				if storeDir != "" {
					return errors.New("dray nats config: --store-dir and --users-only do not go together: --users-only prints no jetstream block")
				}
				return users.WriteAuthorization(cmd.OutOrStdout())
			}
			return users.WriteServerConfig(cmd.OutOrStdout(), storeDir)
		},
	}
	f := config.Flags()
	f.StringVar(&seedsDir, "seeds-dir", "", "directory of the roles' nkey seeds (<role>.nk, 0600); made if missing")
	f.StringVar(&storeDir, "store-dir", "", "JetStream's store_dir in the printed configuration (default: the server's)")
	f.StringSliceVar(&executors, "executor", nil, "kinds of executors beyond the built-in ones (repeatable)")
	f.BoolVar(&usersOnly, "users-only", false, "print only the authorization block (users and permissions), to include from a configuration of your own")
	f.StringSliceVar(&projs, "project", nil, "projects whose outside clients get a credential (repeatable)")
	cmd.AddCommand(config)
	return cmd
}
