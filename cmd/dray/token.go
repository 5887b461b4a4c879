package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/login"
)

func newToken(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Short:   "Create and revoke API tokens (dray get tokens lists them)",
		Example: "  dray token create ci --role developer -p shop > ci.token",
	}
	var (
		role, expires string
		systemAdmin   bool
	)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API token of a project and print it, once",
		Long: `Create an API token that acts in --project as --role (viewer, developer, admin, or a
ServiceAccount or Kargo Role the project declares), and print it: Dray keeps only its hash,
so it cannot be shown again. With --system-admin (a system admin only), the token may do
anything in every project. Give it to the CLI with --token-file or $DRAY_TOKEN.`,
		Example: `  dray token create ci --role developer -p shop --expires 720h > ci.token
  dray token create ops --system-admin > ops.token`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.newClient()
			if err != nil {
				return err
			}
			project := ""
			if !systemAdmin {
				if role == "" {
					return fmt.Errorf("--role is required: viewer, developer, admin, or a role the project declares")
				}
				if project, err = g.resolveProject(cmd.Context(), c); err != nil {
					return err
				}
			}
			resp, err := c.CreateToken(cmd.Context(), project, &v1.CreateTokenRequest{Name: args[0], Role: role, SystemAdmin: systemAdmin, ExpiresIn: expires})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), resp.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "Token %s created; it is shown only now. Keep it in a file (mode 0600) and pass --token-file.\n", resp.Name)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "role the token acts as in the project")
	create.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 720h (default: no expiry)")
	create.Flags().BoolVar(&systemAdmin, "system-admin", false, "a system-admin token, for every project")
	revoke := &cobra.Command{
		Use:     "revoke NAME",
		Short:   "Revoke an API token of a project (with --system-admin, a system-admin token)",
		Example: "  dray token revoke ci -p shop",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.newClient()
			if err != nil {
				return err
			}
			project := ""
			if !systemAdmin {
				if project, err = g.resolveProject(cmd.Context(), c); err != nil {
					return err
				}
			}
			if err := c.RevokeToken(cmd.Context(), project, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	revoke.Flags().BoolVar(&systemAdmin, "system-admin", false, "revoke a system-admin token")
	cmd.AddCommand(create, revoke)
	return cmd
}

// printTokens lists the tokens of project: names, roles and expiry, never secrets.
func printTokens(cmd *cobra.Command, c *client.Client, project, output string) error {
	list, err := c.Tokens(cmd.Context(), project)
	if err != nil || output != "" {
		if err != nil {
			return err
		}
		return print(cmd.OutOrStdout(), output, list)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "NAME\tROLE\tEXPIRES\tCREATED BY\tAGE")
	for _, t := range list {
		exp := "never"
		if t.ExpiresAt != nil {
			exp = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, exp, t.CreatedBy, age(&t.CreatedAt))
	}
	return nil
}

// newClient returns a client of the gateway with the token to send: --token-file, else
// $DRAY_TOKEN, else the token of the server's context in the dray config. Without --server
// the server is the current context's, else client.DefaultURL. There is no flag taking a
// token value: it would show in ps.
func (g *globals) newClient() (*client.Client, error) {
	server, tok := g.server, ""
	var cfg *client.Config
	if path, err := client.ConfigPath(); err == nil {
		if cfg, err = client.LoadConfig(path); err != nil {
			return nil, err
		}
	}
	if server == "" {
		server = client.DefaultURL
		if cfg != nil {
			if cur, ok := cfg.Current(); ok {
				server = cur.Server
			}
		}
	}
	switch {
	case g.tokenFile != "":
		b, err := os.ReadFile(g.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read --token-file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	case os.Getenv("DRAY_TOKEN") != "":
		tok = os.Getenv("DRAY_TOKEN")
	case cfg != nil:
		if ctx, ok := cfg.ForServer(server); ok {
			if err := refreshLogin(cfg, &ctx); err != nil {
				return nil, err
			}
			tok = ctx.Token
		}
	}
	return client.New(server, client.WithToken(tok)), nil
}

// refreshLogin refreshes the ID token of a context dray login made, when it expired, and
// saves the new one.
func refreshLogin(cfg *client.Config, c *client.Context) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	changed, err := login.Refresh(ctx, c, login.Options{})
	if err != nil || !changed {
		return err
	}
	path, err := client.ConfigPath()
	if err != nil {
		return err
	}
	cfg.Update(*c)
	return cfg.Save(path)
}
