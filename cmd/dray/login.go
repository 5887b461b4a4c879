package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/login"
)

func newLogin(g *globals) *cobra.Command {
	var noBrowser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login --server URL",
		Short: "Sign in to a gateway with its OIDC provider",
		Long: `Sign in to the gateway at --server with the OIDC provider it is configured with: dray
login opens the provider's sign-in page in a browser (or prints its URL with --no-browser),
takes the redirect on a loopback port (authorization code with PKCE), and records the ID
token and refresh token as the current context of the dray config (readable by you alone).
Later commands send the ID token and refresh it when it expires.`,
		Example: `  dray login --server https://dray.example.com
  dray login --server https://dray.example.com --no-browser`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.server == "" {
				return errors.New("dray login needs --server URL, the gateway to sign in to")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			open := func(u string) error {
				fmt.Fprintf(cmd.OutOrStdout(), "Sign in at:\n%s\n", u)
				if !noBrowser {
					if err := openBrowser(u); err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "(could not open a browser: %v; open the URL above)\n", err)
					}
				}
				return nil
			}
			c, err := login.Login(ctx, g.server, login.Options{Open: open})
			if err != nil {
				return err
			}
			path, err := client.ConfigPath()
			if err != nil {
				return err
			}
			cfg, err := client.LoadConfig(path)
			if err != nil {
				return err
			}
			cfg.Set(c)
			if err := cfg.Save(path); err != nil {
				return err
			}
			who, err := client.New(c.Server, client.WithToken(c.Token)).WhoAmI(ctx)
			if err != nil {
				return fmt.Errorf("signed in, but the gateway refuses the ID token: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed in to %s as %s (context recorded in %s).\n", c.Server, who.Actor, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the sign-in URL without opening a browser")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the sign-in")
	return cmd
}

// openBrowser opens u in the user's browser.
func openBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
