package main

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/examples"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/gitserver"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/service"
	executorhttp "github.com/drayhq/dray/services/executor-http"
	"github.com/drayhq/dray/services/gateway"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// checkExposure refuses to serve tokens in clear beyond this machine: an address other than
// loopback needs TLS, or --insecure said out loud.
func checkExposure(addr string, tls, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() || tls || insecure {
		return nil
	}
	return fmt.Errorf("--addr %s serves beyond this machine: give --tls-cert and --tls-key, or --insecure to send tokens in clear", addr)
}

// recordContext makes the gateway at url, with its admin token, the current context of the
// dray config (0600), so the CLI on this machine works with no flags.
func recordContext(url, tok string) error {
	path, err := client.ConfigPath()
	if err != nil {
		return err
	}
	cfg, err := client.LoadConfig(path)
	if err != nil {
		return err
	}
	cfg.Set(client.Context{Name: url, Server: url, Token: tok})
	return cfg.Save(path)
}

// guardPush lets anyone clone from git but takes a push only with the admin token as the HTTP
// basic password (any user name).
func guardPush(git http.Handler, admin *atomic.Pointer[string]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack" {
			_, pass, _ := r.BasicAuth()
			want := admin.Load()
			if want == nil || subtle.ConstantTimeCompare([]byte(pass), []byte(*want)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="dray demo git"`)
				http.Error(w, "pushing needs the admin token of dray up as password (its data dir's admin.token)", http.StatusUnauthorized)
				return
			}
		}
		git.ServeHTTP(w, r)
	})
}

func newUp() *cobra.Command {
	var (
		o            allinone.Options
		demo         bool
		insecure     bool
		logLevel     string
		logFormat    string
		allowedHosts []string
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run every Dray service in this process, on an embedded NATS server",
		Long: `Run every Dray service in this process, on an embedded NATS server with its data in
--data-dir. The gateway serves the API, /healthz and /metrics on --addr (127.0.0.1:8080), with
authentication on: on first start Dray writes a system-admin token to <data-dir>/admin.token
and records it as the current context of the dray config (e.g. ~/.config/dray/config.yaml),
so the CLI on this machine works with no flags. Serving on an address other than loopback
needs --tls-cert and --tls-key, or --insecure. With --demo, Dray
also serves two Git repositories on loopback (an application whose tags are Freight, and its
configuration), applies the guestbook pipeline from examples/ (dev → staging → prod, with an
approval before prod) and waits until its first Freight reached staging: a pipeline moves
within seconds, with no network.`,
		Example: `  dray up
  dray up --demo --data-dir "$(mktemp -d)"`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			switch logFormat {
			case "text":
				o.Log = slog.New(service.WithTraceIDs(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
			case "json":
				o.Log = slog.New(service.WithTraceIDs(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
			default:
				return fmt.Errorf("--log-format: %q is not text or json", logFormat)
			}
			var err error
			if o.HTTPAllowedHosts, err = executorhttp.ParseAllowedHosts(allowedHosts); err != nil {
				return err
			}
			if err := checkExposure(o.Addr, o.TLSCert != "", insecure); err != nil {
				return err
			}
			if err := o.OIDC.Validate(); err != nil {
				return err
			}
			if err := gateway.CheckArgoCDURL(o.ArgoCDURL); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var pushToken atomic.Pointer[string] // set once the admin token is known
			if demo {
				git, err := demoGit(o.DataDir)
				if err != nil {
					return err
				}
				o.Mounts = map[string]http.Handler{"/git/": http.StripPrefix("/git", guardPush(git, &pushToken))}
			}
			in, err := allinone.Start(ctx, o)
			if err != nil {
				return err
			}
			pushToken.Store(&in.AdminToken)
			if err := recordContext(in.URL, in.AdminToken); err != nil {
				in.Stop()
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Dray is up: API %s, NATS %s, data in %s\nThe CLI on this machine uses the admin token in %s (recorded in the dray config); NATS clients use the admin's nkey: nats --nkey %s.\n",
				in.URL, in.NATS.ClientURL(), o.DataDir, allinone.AdminTokenFile(o.DataDir), allinone.AdminNKeyFile(o.DataDir))
			if demo {
				if err := runDemo(ctx, cmd, in.URL, in.AdminToken); err != nil {
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
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address of the API (another than loopback needs --tls-cert and --tls-key, or --insecure)")
	f.StringVar(&o.TLSCert, "tls-cert", "", "certificate file: serve the API over HTTPS")
	f.StringVar(&o.TLSKey, "tls-key", "", "key file of --tls-cert")
	f.BoolVar(&insecure, "insecure", false, "serve plain HTTP on an address other than loopback (tokens cross the network in clear)")
	f.IntVar(&o.NATSPort, "nats-port", 4222, "port where the embedded NATS accepts outside clients (-1: any free port)")
	f.BoolVar(&demo, "demo", false, "serve the demo's Git repositories, apply examples/guestbook (dev → staging → prod) and wait until its first Freight reached staging")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", cmp.Or(os.Getenv("DRAY_LOG_FORMAT"), "text"), "text or json (one JSON object per line, with trace_id)")
	f.StringArrayVar(&allowedHosts, "http-allowed-hosts", nil, "project=host,host…: the hosts a project's http, http-download, send-message and oci-* steps may call (as dray-executor-http's option; loopback and private addresses only when listed; repeatable)")
	f.StringSliceVar(&o.ContainerHostNetwork, "container-host-network", nil, `projects (comma-separated; * for every project) whose CustomPromotionSteps may take the "network" capability, the host's network (default none)`)
	oidcFlags := flag.NewFlagSet("oidc", flag.ContinueOnError)
	o.OIDC.BindFlags(oidcFlags) // --oidc-issuer …: sign in with OIDC (README.md, "Access control")
	f.AddGoFlagSet(oidcFlags)
	f.StringVar(&o.ArgoCDURL, "argocd-url", os.Getenv("DRAY_ARGOCD_URL"),
		"the Argo CD UI's address: the web UI links the Applications a Promotion synced into it ($DRAY_ARGOCD_URL)")
	f.Var(&o.GitTransports, "allow-git-transport", "transports Git remotes may use beyond https, http and ssh: file (file:// and local paths, which read this host's files) or git (repeatable or comma-separated; default none)")
	f.IntVar(&o.KeepPromotions, "keep-promotions", state.DefaultKeepPromotions,
		"finished Promotions kept per Stage; older ones are deleted as new ones finish (Kargo's garbage collector keeps 20; negative: keep all)")
	f.DurationVar(&o.AuditMaxAge, "audit-max-age", bus.DefaultAuditMaxAge, "how long the audit trail (DRAY_AUDIT) keeps a record; shortening it drops older records")
	f.DurationVar(&o.Resync, "resync", scheduler.DefaultResync, "how often auto-promotion is evaluated everywhere without an event asking for it (negative: never)")
	return cmd
}

// demoGit serves the guestbook demo's repositories from the data directory: the
// application, whose tags the Warehouse turns into Freight, and the configuration the Stages
// write to.
func demoGit(dataDir string) (*gitserver.Server, error) {
	root := filepath.Join(dataDir, "git")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	git, err := gitserver.New(root)
	if err != nil {
		return nil, err
	}
	values := func(env string) string {
		return "# Values for the " + env + " environment; Dray updates image.tag.\nimage:\n  repository: ghcr.io/akuity/guestbook\n  tag: v0.9.0\nreplicas: 1\n"
	}
	if _, err := os.Stat(filepath.Join(root, "guestbook-config.git")); os.IsNotExist(err) {
		if err := git.Init("guestbook-config", map[string]string{
			"env/dev/values.yaml":     values("dev"),
			"env/staging/values.yaml": values("staging"),
			"env/prod/values.yaml":    values("prod"),
			"README.md":               "Configuration of the guestbook demo, promoted by Dray.\n",
		}); err != nil {
			return nil, fmt.Errorf("create demo repository: %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "guestbook-app.git")); os.IsNotExist(err) {
		if err := git.Init("guestbook-app", map[string]string{
			"README.md": "The guestbook application of the demo: each SemVer tag is a release that Dray promotes.\n",
		}); err != nil {
			return nil, fmt.Errorf("create demo repository: %w", err)
		}
		if err := git.Tag("guestbook-app", "v1.0.0"); err != nil {
			return nil, err
		}
	}
	return git, nil
}

// runDemo applies the guestbook pipeline and follows its first Freight, which the Warehouse
// discovers in the demo's application repository, through dev and staging (both
// auto-promote); prod waits for an approval. The demo's git-push pushes with the admin
// token, which guardPush asks of every push, kept in a credentials Secret.
func runDemo(ctx context.Context, cmd *cobra.Command, base, adminToken string) error {
	c := client.New(base, client.WithToken(adminToken))
	docs, err := demoManifests(base)
	if err != nil {
		return err
	}
	creds, err := json.Marshal(&v1.Secret{
		TypeMeta:   v1.TypeMeta{APIVersion: v1.CoreVersion, Kind: v1.KindSecret},
		Metadata:   v1.ObjectMeta{Name: "demo-git", Namespace: "guestbook", Labels: map[string]string{v1.LabelCredType: "git"}},
		StringData: map[string]string{"repoURL": base + "/git/guestbook-config.git", "username": "dray", "password": adminToken},
	})
	if err != nil {
		return err
	}
	docs = append(docs, manifest.Object{JSON: creds})
	if _, err := c.Apply(ctx, rawJSON(docs)); err != nil {
		return fmt.Errorf("apply the demo pipeline: %w", err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Demo: applied examples/guestbook: Warehouse guestbook watches the tags of %s/git/guestbook-app.git;\n      dev and staging promote new Freight on their own, prod waits for an approval.\n", base)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s, err := waitStage(wctx, c, "guestbook", "staging")
	if err != nil {
		return fmt.Errorf("the demo's first Freight did not reach staging: %w (dray get stages -p guestbook says where it is)", err)
	}
	alias := s.Status.FreightHistory[0].Alias
	fmt.Fprintf(out, `Demo: Freight %[1]s (guestbook-app v1.0.0) went to dev, then to staging. Try, in another terminal:
  dray get stages
  dray get freight
  dray approve %[1]s --stage prod
  dray promote --stage prod --freight %[1]s --wait
`, alias)
	return nil
}

// demoManifests reads examples/guestbook, with the demo's repositories at base.
func demoManifests(base string) ([]manifest.Object, error) {
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
	return docs, err
}

// waitStage waits until stage holds Freight its last Promotion delivered.
func waitStage(ctx context.Context, c *client.Client, project, stage string) (*v1.Stage, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := c.Stage(ctx, project, stage)
		if err == nil && len(s.Status.FreightHistory) > 0 && s.Status.LastPromotion != nil && s.Status.LastPromotion.Phase == v1.PhaseSucceeded {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}
