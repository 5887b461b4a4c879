package deploy

import (
	"context"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/callout"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	executorcontainer "github.com/drayhq/dray/services/executor-container"
	"github.com/drayhq/dray/services/gateway"
)

// loadCompose loads docker-compose.yaml with compose-go, validating it against the Compose
// specification, with the profiles given.
func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	root, err := filepath.Abs(Root)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yaml")},
		cli.WithWorkingDirectory(root), cli.WithName("dray"), cli.WithEnv(nil), cli.WithProfiles(profiles))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	return p
}

// envOfService sets a compose service's environment for the test, clearing other DRAY_ ones.
func envOfService(t *testing.T, s types.ServiceConfig) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DRAY_") {
			t.Setenv(k, "")
		}
	}
	for k, v := range s.Environment {
		if v == nil {
			t.Fatalf("service %s: %s without a value", s.Name, k)
		}
		t.Setenv(k, *v)
	}
}

// secretFile is the host file of the secret a service reads at path (/run/secrets/<name>).
func secretFile(p *types.Project, s types.ServiceConfig, path string) (string, bool) {
	for _, ref := range s.Secrets {
		target := ref.Target
		if target == "" {
			target = "/run/secrets/" + ref.Source
		} else if !filepath.IsAbs(target) {
			target = "/run/secrets/" + target
		}
		if target == path {
			sec, ok := p.Secrets[ref.Source]
			return sec.File, ok
		}
	}
	return "", false
}

// writable says whether a service can write path: a tmpfs or volume holds it.
func writable(s types.ServiceConfig, path string) bool {
	under := func(dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }
	for _, tm := range s.Tmpfs {
		if under(strings.SplitN(tm, ":", 2)[0]) {
			return true
		}
	}
	for _, v := range s.Volumes {
		if !v.ReadOnly && under(v.Target) {
			return true
		}
	}
	return !s.ReadOnly
}

// docker-compose.yaml is a valid Compose project in which every Dray service runs its binary
// from the Dockerfile's images, connects to NATS as its own user with a seed that dray nats
// config made, has a healthcheck on the port it serves health on, waits for a healthy NATS,
// and can write where it writes; the container executor can run runc, the rest are locked
// down; executor-git runs two replicas. Then a nats-server started from the configuration
// the setup service makes lets each service, with the environment compose gives it, open the
// layout, and refuses a client without credentials.
func TestCompose(t *testing.T) {
	p := loadCompose(t)
	targets := map[string]bool{}
	for _, s := range stages(t) {
		targets[s.Name] = true
	}
	if _, ok := p.DisabledServices["setup"]; !ok {
		t.Error("the setup service is not behind a profile: docker compose up would run it every time")
	}
	setup := loadCompose(t, "setup").Services["setup"]
	script := strings.Join(setup.Command, " ")
	if !strings.Contains(script, "dray nats config --seeds-dir /work/nats --store-dir /data > /work/nats/nats.conf") ||
		!strings.Contains(script, "chown 65532:65532") || setup.Build == nil || setup.Build.Target != "executor-container" {
		t.Errorf("setup does not make NATS's users with dray nats config for the services' user:\n%s", script)
	}

	nats, ok := p.Services["nats"]
	if !ok {
		t.Fatal("no nats service")
	}
	if nats.HealthCheck == nil || len(nats.HealthCheck.Test) < 2 || !strings.Contains(strings.Join(nats.HealthCheck.Test, " "), "healthz") {
		t.Error("nats: no healthcheck on /healthz")
	}
	var confHost string
	for _, v := range nats.Volumes {
		if v.Target == "/etc/nats/nats.conf" && v.Type == types.VolumeTypeBind {
			confHost = v.Source
		}
	}
	if confHost == "" || !slices.Contains(nats.Command, "/etc/nats/nats.conf") {
		t.Fatalf("nats does not run with the configuration of dray nats config (command %v)", nats.Command)
	}

	// what setup makes, made here as dray nats config makes it: a seed per role in nats/
	dir := t.TempDir()
	seeds := filepath.Join(dir, "nats")
	users := &bus.Users{}
	for _, role := range append(bus.ServiceRoles(bus.BuiltinExecutors), bus.RoleSystem, bus.RoleAdmin) {
		kp, err := bus.EnsureSeed(bus.SeedFile(seeds, role))
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Add(role, kp); err != nil {
			t.Fatal(err)
		}
	}
	issuer, err := bus.EnsureCalloutSeed(bus.CalloutSeedFile(seeds))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.UseCallout(issuer); err != nil {
		t.Fatal(err)
	}
	xkey, err := bus.EnsureCalloutXKey(bus.CalloutXKeyFile(seeds))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.UseCalloutXKey(xkey); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(Root)
	inDir := func(hostPath string) string { // the compose host path, in the temp dir
		rel, err := filepath.Rel(root, hostPath)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("%s is outside the project directory", hostPath)
		}
		return filepath.Join(dir, rel)
	}
	f, err := os.Create(inDir(confHost))
	if err != nil {
		t.Fatalf("nats.conf is not in the seeds directory setup writes: %v", err)
	}
	if err := users.WriteServerConfig(f, filepath.Join(dir, "js")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	opts, err := server.ProcessConfigFile(inDir(confHost))
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}

	for _, name := range services {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if !slices.Equal(s.Entrypoint, []string{"dray-" + name}) {
			t.Errorf("%s runs %v, want dray-%s", name, s.Entrypoint, name)
		}
		if s.Build == nil || !targets[s.Build.Target] {
			t.Errorf("%s: build %+v names no stage of the Dockerfile", name, s.Build)
		}
		if c, ok := s.DependsOn["nats"]; !ok || c.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for a healthy NATS", name)
		}
		envOfService(t, s)
		var so service.Options
		so.BindFlags(flag.NewFlagSet(name, flag.ContinueOnError), service.DefaultHTTPAddr)
		if so.HTTPAddr == service.DefaultHTTPAddr {
			t.Errorf("%s serves health on loopback only", name)
		}
		if s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, []string{"CMD", "dray", "probe", "http://127.0.0.1:" + strconv.Itoa(int(portOf(t, so.HTTPAddr))) + "/readyz"}) {
			t.Errorf("%s: healthcheck %+v is not dray probe of its /readyz on %s", name, s.HealthCheck, so.HTTPAddr)
		}
		u, err := url.Parse(so.Bus.URL)
		if err != nil || u.Hostname() != "nats" || int(portOf(t, u.Host)) != 4222 {
			t.Errorf("%s: NATS URL %q is not the nats service", name, so.Bus.URL)
		}
		file, ok := secretFile(p, s, so.Bus.NKeyFile)
		if !ok || filepath.Base(file) != filepath.Base(bus.SeedFile("", name)) {
			t.Errorf("%s: --nats-nkey %q is not a secret of its own seed (%q)", name, so.Bus.NKeyFile, file)
			continue
		}
		if so.SecretsKeyFile != "" {
			if key, ok := secretFile(p, s, so.SecretsKeyFile); !ok || filepath.Base(key) != "secrets.key" {
				t.Errorf("%s: --secrets-key-file %q is not the secrets.key secret", name, so.SecretsKeyFile)
			}
		} else if name != "state" {
			t.Errorf("%s: no secrets key", name)
		}
		if !writable(s, os.TempDir()) {
			t.Errorf("%s cannot write %s", name, os.TempDir())
		}
		if strings.HasPrefix(name, "executor-") {
			var eo executor.Options
			eo.BindFlags(flag.NewFlagSet(name, flag.ContinueOnError))
			if eo.CacheDir == "" || !writable(s, eo.CacheDir) {
				t.Errorf("%s cannot write its --cache-dir %q", name, eo.CacheDir)
			}
		}
		switch name {
		case "executor-container":
			var co executorcontainer.Options
			co.BindFlags(flag.NewFlagSet(name, flag.ContinueOnError))
			if !writable(s, co.RuncRoot) {
				t.Errorf("executor-container cannot write --runc-root %s", co.RuncRoot)
			}
			if !s.Privileged || (s.User != "0" && s.User != "0:0") || s.Build.Target != "executor-container" {
				t.Error("executor-container: runc needs root, privileged, and the image with runc")
			}
		default:
			if s.Privileged || s.User != "" || !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
				t.Errorf("%s: not locked down (privileged %v, user %q, read-only %v, cap_drop %v, security_opt %v)", name, s.Privileged, s.User, s.ReadOnly, s.CapDrop, s.SecurityOpt)
			}
		}
		if name == "gateway" {
			var gw gateway.Options
			gw.BindFlags(flag.NewFlagSet(name, flag.ContinueOnError))
			published := false
			for _, port := range s.Ports {
				if int32(port.Target) == portOf(t, gw.Addr) {
					published = true
				}
			}
			if !published {
				t.Errorf("gateway listens on %s, which no published port targets (%+v)", gw.Addr, s.Ports)
			}
			// API tokens reach NATS through the auth callout the gateway answers with the
			// seed setup keeps beside the services' seeds.
			if seed, ok := secretFile(p, s, gw.NATSCalloutSeed); !ok || inDir(seed) != bus.CalloutSeedFile(seeds) {
				t.Errorf("gateway: --nats-callout-seed %q is not the secret of %s", gw.NATSCalloutSeed, bus.CalloutSeedFile("nats"))
			} else if _, err := bus.EnsureCalloutSeed(inDir(seed)); err != nil {
				t.Errorf("gateway: the callout seed does not load: %v", err)
			}
			// It opens the requests the server encrypts to the xkey setup keeps there too.
			if seed, ok := secretFile(p, s, gw.NATSCalloutXKey); !ok || inDir(seed) != bus.CalloutXKeyFile(seeds) {
				t.Errorf("gateway: --nats-callout-xkey %q is not the secret of %s", gw.NATSCalloutXKey, bus.CalloutXKeyFile("nats"))
			} else if opts.AuthCallout == nil || opts.AuthCallout.XKey != publicKey(t, inDir(seed)) {
				t.Errorf("gateway: the xkey of --nats-callout-xkey is not the one nats.conf encrypts callout requests to")
			}
			// It closes a revoked token's connections as the system account's user.
			if seed, ok := secretFile(p, s, gw.NATSSystemNKey); !ok || inDir(seed) != bus.SeedFile(seeds, bus.RoleSystem) {
				t.Errorf("gateway: --nats-system-nkey %q is not the secret of %s", gw.NATSSystemNKey, bus.SeedFile("nats", bus.RoleSystem))
			} else {
				wantKicker(t, ns, inDir(seed))
			}
		}
		// the service, as compose starts it, opens the layout with its seed
		so.Bus.URL, so.Bus.NKeyFile, so.Bus.Timeout = ns.ClientURL(), inDir(file), 5*time.Second
		nc, err := so.Bus.Connect("dray-" + name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := bus.New(t.Context(), nc, so.Bus); err != nil {
			t.Errorf("%s cannot open the layout with its seed: %v", name, err)
		}
		nc.Close()
	}
	if r := p.Services["executor-git"].Deploy; r == nil || r.Replicas == nil || *r.Replicas != 2 {
		t.Error("executor-git: want two replicas, to show executors scaling")
	}
	if _, err := (&bus.Options{URL: ns.ClientURL()}).Connect("dray-nobody"); err == nil {
		t.Error("a client without credentials connected to compose's NATS")
	}
}

// wantKicker: the seed is the system account's user, which may ask the server to disconnect
// a client (and the server answers that there is no such client).
func wantKicker(t *testing.T, ns *server.Server, seed string) {
	t.Helper()
	auth, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ns.ClientURL(), auth, nats.CustomInboxPrefix(bus.InboxPrefix(bus.RoleSystem)))
	if err != nil {
		t.Fatalf("connect as the system account's user: %v", err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := (callout.SystemKicker{Conn: nc}).Kick(ctx, ns.ID(), 1<<40); err != nil {
		t.Errorf("the system account's user cannot disconnect clients: %v", err)
	}
}

// publicKey is the public key of the seed file.
func publicKey(t *testing.T, seed string) string {
	t.Helper()
	kp, err := bus.ReadSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
