package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
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
		role, expires     string
		systemAdmin       bool
		natsCreds         bool
		natsURL, natsFile string
	)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API token of a project and print it, once",
		Long: `Create an API token that acts in --project as --role (viewer, developer, admin, or a
ServiceAccount or Kargo Role the project declares), and print it: Dray keeps only its hash,
so it cannot be shown again. With --system-admin (a system admin only), the token may do
anything in every project. Give it to the CLI with --token-file or $DRAY_TOKEN.

With --nats, the token is a credential for NATS too (role developer unless --role says
otherwise): it is written, not printed, to --nats-file (default <name>.nats.json, mode 0600),
a nats CLI context with the server's --nats-url, the token and the token's inbox prefix. The
gateway's auth callout lets it publish only the project's commands its role allows, as
dray.cmd.<project>.<verb>.<name>, and read only the project's events (pkg/bus/README.md).`,
		Example: `  dray token create ci --role developer -p shop --expires 720h > ci.token
  dray token create ops --system-admin > ops.token
  dray token create ci-bus -p shop --nats --nats-url nats://nats.example.com:4222`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.newClient()
			if err != nil {
				return err
			}
			project := ""
			if natsCreds && systemAdmin {
				return fmt.Errorf("--nats: a system-admin token cannot connect to NATS; create a project token, or use the admin's nkey")
			}
			if natsCreds && role == "" {
				role = "developer"
			}
			if !systemAdmin {
				if role == "" {
					return fmt.Errorf("--role is required: viewer, developer, admin, or a role the project declares")
				}
				if project, err = g.resolveProject(cmd.Context(), c); err != nil {
					return err
				}
			}
			var creds *os.File
			if natsCreds {
				if natsFile == "" {
					natsFile = args[0] + ".nats.json"
				}
				// Made before the token, so a token is never made that cannot be written.
				if creds, err = os.OpenFile(natsFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
					return fmt.Errorf("--nats-file: %w (choose another file; an existing one is never overwritten)", err)
				}
				defer creds.Close()
			}
			resp, err := c.CreateToken(cmd.Context(), project, &v1.CreateTokenRequest{Name: args[0], Role: role, SystemAdmin: systemAdmin, ExpiresIn: expires})
			if err != nil {
				if creds != nil {
					creds.Close()
					os.Remove(natsFile)
				}
				return err
			}
			if creds != nil {
				return writeNATSCreds(cmd, creds, natsURL, resp)
			}
			fmt.Fprintln(cmd.OutOrStdout(), resp.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "Token %s created; it is shown only now. Keep it in a file (mode 0600) and pass --token-file.\n", resp.Name)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "role the token acts as in the project")
	create.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 720h (default: no expiry)")
	create.Flags().BoolVar(&systemAdmin, "system-admin", false, "a system-admin token, for every project")
	create.Flags().BoolVar(&natsCreds, "nats", false, "also a NATS credential: write it to --nats-file instead of printing it")
	create.Flags().StringVar(&natsURL, "nats-url", "nats://127.0.0.1:4222", "the NATS server the credential connects to (dray up's by default)")
	create.Flags().StringVar(&natsFile, "nats-file", "", "where --nats writes the credential (default <name>.nats.json; never overwritten)")
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

// natsContext is a nats CLI context (the nats-io ADR-21 file format): the fields a client needs
// to connect with a token.
type natsContext struct {
	Description string `json:"description"`
	URL         string `json:"url"`
	Token       string `json:"token"`
	InboxPrefix string `json:"inbox_prefix"`
}

// writeNATSCreds writes the NATS credential of a token just made to f (0600), and says how
// to use it; the token itself is shown nowhere else.
func writeNATSCreds(cmd *cobra.Command, f *os.File, url string, resp *v1.CreateTokenResponse) error {
	b, err := json.MarshalIndent(natsContext{
		Description: "Dray token " + resp.Project + "/" + resp.Name + " (dray token create --nats)",
		URL:         url, Token: resp.Token, InboxPrefix: bus.TokenInboxPrefix(resp.Project, resp.Name),
	}, "", "  ")
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w; the token %s was made but not kept: revoke it (dray token revoke %s -p %s)", f.Name(), err, resp.Name, resp.Name, resp.Project)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), f.Name())
	fmt.Fprintf(cmd.ErrOrStderr(), "Token %s created and written to %s (0600), shown nowhere else: a nats CLI context, e.g.\n"+
		"  cp %s ~/.config/nats/context/%s.json && nats --context %s pub %s '{\"stage\":\"dev\",\"freight\":\"…\"}'\n",
		resp.Name, f.Name(), f.Name(), resp.Name, resp.Name, bus.CommandSubjectAs(resp.Project, "promote", resp.Name))
	return nil
}
