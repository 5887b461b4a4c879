package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/examples"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/gitserver"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

func newUp() *cobra.Command {
	var (
		o        allinone.Options
		demo     bool
		logLevel string
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run every Dray service in this process, on an embedded NATS server",
		Long: `Run every Dray service in this process, on an embedded NATS server with its data in
--data-dir. The gateway serves the API, /healthz and /metrics on --addr. With --demo, Dray
also serves a Git repository on loopback, applies the guestbook pipeline from examples/ and
promotes its first Freight, so a promotion lands within seconds, with no network.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var git *gitserver.Server
			if demo {
				var err error
				if git, err = demoGit(o.DataDir); err != nil {
					return err
				}
				o.Mounts = map[string]http.Handler{"/git/": http.StripPrefix("/git", git)}
			}
			in, err := allinone.Start(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Dray is up: API %s, NATS %s, data in %s\n", in.URL, in.NATS.ClientURL(), o.DataDir)
			if demo {
				if err := runDemo(ctx, cmd, in.URL); err != nil {
					in.Stop()
					return err
				}
			}
			<-ctx.Done()
			in.Stop()
			return in.Wait()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DataDir, "data-dir", ".dray", "where NATS data and workspace caches live")
	f.StringVar(&o.Addr, "addr", ":8080", "address of the API")
	f.IntVar(&o.NATSPort, "nats-port", 4222, "port where the embedded NATS accepts outside clients (-1: any free port)")
	f.BoolVar(&demo, "demo", false, "serve a demo Git repository, apply examples/guestbook and promote its Freight")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&o.KeepPromotions, "keep-promotions", state.DefaultKeepPromotions,
		"finished Promotions kept per Stage; older ones are deleted as new ones finish (Kargo's garbage collector keeps 20; negative: keep all)")
	f.DurationVar(&o.Resync, "resync", scheduler.DefaultResync, "how often auto-promotion is evaluated everywhere without an event asking for it (negative: never)")
	return cmd
}

// demoGit serves the guestbook demo's config repository from the data directory.
func demoGit(dataDir string) (*gitserver.Server, error) {
	root := filepath.Join(dataDir, "git")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	git, err := gitserver.New(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "guestbook-config.git")); os.IsNotExist(err) {
		if err := git.Init("guestbook-config", map[string]string{
			"env/dev/values.yaml": "# Values for the dev environment; Dray updates image.tag.\nimage:\n  repository: ghcr.io/akuity/guestbook\n  tag: v1.0.0\nreplicas: 1\n",
			"README.md":           "Configuration of the guestbook demo, promoted by Dray.\n",
		}); err != nil {
			return nil, fmt.Errorf("create demo repository: %w", err)
		}
	}
	return git, nil
}

// runDemo applies the guestbook pipeline and promotes its Freight to dev.
func runDemo(ctx context.Context, cmd *cobra.Command, base string) error {
	c := client.New(base)
	var docs []manifest.Object
	err := fs.WalkDir(examples.Guestbook(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.Guestbook(), p)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(data), "http://127.0.0.1:8080", base)
		objs, err := manifest.Decode("examples/guestbook/"+p, []byte(text))
		docs = append(docs, objs...)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := c.Apply(ctx, rawJSON(docs)); err != nil {
		return fmt.Errorf("apply the demo pipeline: %w", err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Demo: applied examples/guestbook (repository %s/git/guestbook-config.git)\n", base)
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := c.Promote(actx, &v1.PromoteCommand{Project: "guestbook", Stage: "dev", Freight: "first-light", Actor: "email:demo@dray.dev"})
	if err != nil {
		return fmt.Errorf("promote the demo freight: %w", err)
	}
	fmt.Fprintf(out, "Demo: promoting Freight first-light to dev as %s\n", resp.Promotion)
	p, err := c.WaitPromotion(actx, "guestbook", resp.Promotion, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo: promotion %s %s. Try, in another terminal:\n  dray get promotions -p guestbook\n  dray get promotion %s -p guestbook\n  git clone %s/git/guestbook-config.git\n",
		p.Metadata.Name, strings.ToLower(p.Status.Phase), p.Metadata.Name, base)
	return nil
}
