package deploy

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/service"
	executorcontainer "github.com/drayhq/dray/services/executor-container"
	"github.com/drayhq/dray/services/gateway"
)

func TestChartLints(t *testing.T) {
	for name, values := range valueSets {
		t.Run(name, func(t *testing.T) {
			vals, err := chartutil.ReadValues([]byte(values))
			if err != nil {
				t.Fatal(err)
			}
			linter := lint.All(chartDir, vals, namespace, false)
			for _, m := range linter.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				}
			}
		})
	}
}

// valueSets are the values the chart is tested with: its defaults, and others that change
// what lines up (the gateway's port, NATS's size, KEDA, secrets).
var valueSets = map[string]string{
	"defaults": ``,
	"non-default": `
gateway:
  port: 9443
  tlsSecretName: dray-tls
  oidc: {issuer: "https://idp.example.com", clientID: dray, externalURL: "https://dray.example.com", secretName: dray-oidc}
healthPort: 9100
nats: {replicas: 1, clientPort: 4333, monitorPort: 8333, auth: {secretName: my-nats}}
secretsKey: {secretName: dray-secrets-key}
keda: {enabled: true, maxReplicas: 20}
metrics: {podMonitor: {enabled: true, labels: {release: prom}, interval: 30s}}
services:
  executor-git: {keda: {maxReplicas: 50, lagThreshold: 2}}
  executor-http: {enabled: false}
`,
}

// The chart renders with default and other values into objects the Kubernetes API types decode
// strictly, and what must line up does: each Service's targetPort is a container port, each
// container port is what the binary listens on given the environment the chart sets (read by
// the binaries' own flag code), probes name ports that exist, the files the flags name are
// mounted from the right Secret keys, every writable path is a volume.
func TestChartRenders(t *testing.T) {
	for name, values := range valueSets {
		t.Run(name, func(t *testing.T) {
			r := render(t, "rel", values)
			checkChart(t, r)
		})
	}
}

// The binaries, reading the environment the chart gives them with their own flag code, listen
// where the container ports and Services say, connect to the NATS Service with their own
// seed, and find every file they are told of mounted from the right Secret.
func TestChartMatchesTheBinariesFlags(t *testing.T) {
	for name, values := range valueSets {
		t.Run(name, func(t *testing.T) {
			r := render(t, "rel", values)
			vals, _ := chartutil.ReadValues([]byte(values))
			authSecret := "dray-nats-auth"
			if s, err := vals.PathValue("nats.auth.secretName"); err == nil {
				authSecret = s.(string)
			}
			for _, svcName := range services {
				d, ok := r.deployments["rel-"+svcName]
				if !ok {
					if svcName == "executor-http" && name == "non-default" {
						continue // services.executor-http.enabled: false
					}
					t.Fatalf("no Deployment rel-%s", svcName)
				}
				pod := d.Spec.Template.Spec
				c := pod.Containers[0]
				if !slices.Equal(c.Command, []string{"dray-" + svcName}) {
					t.Errorf("%s runs %v, want dray-%s", d.Name, c.Command, svcName)
				}
				envOf(t, c)
				var opts service.Options
				fs := flag.NewFlagSet(svcName, flag.ContinueOnError)
				opts.BindFlags(fs, service.DefaultHTTPAddr)
				health, ok := containerPort(d.Spec.Template, "health")
				if !ok || portOf(t, opts.HTTPAddr) != health {
					t.Errorf("%s: the binary serves health on %q, the container port health is %d", d.Name, opts.HTTPAddr, health)
				}
				if d.Spec.Template.Annotations["prometheus.io/port"] != strconv.Itoa(int(health)) {
					t.Errorf("%s: scrape annotation port %q, health port %d", d.Name, d.Spec.Template.Annotations["prometheus.io/port"], health)
				}
				// NATS: the URL names a rendered Service port (when NATS is in the release)…
				u, err := url.Parse(opts.Bus.URL)
				if err != nil {
					t.Fatalf("%s: NATS URL %q: %v", d.Name, opts.Bus.URL, err)
				}
				nats, ok := r.services[u.Hostname()]
				if !ok {
					t.Fatalf("%s: NATS URL %s names no rendered Service", d.Name, opts.Bus.URL)
				}
				if nats.Spec.Ports[0].Port != portOf(t, u.Host) {
					t.Errorf("%s: NATS URL %s, the Service serves port %d", d.Name, opts.Bus.URL, nats.Spec.Ports[0].Port)
				}
				// …and the seed is this service's own, from the auth Secret.
				v, key, ok := mountOf(pod, c, opts.Bus.NKeyFile)
				if !ok || v.Secret == nil || v.Secret.SecretName != authSecret || key != bus.SeedFile("", svcName) {
					t.Errorf("%s: --nats-nkey %q is not the %s key of Secret %s (volume %+v, key %q)", d.Name, opts.Bus.NKeyFile, bus.SeedFile("", svcName), authSecret, v, key)
				}
				if want := 1 + 3*btoi(svcName == "gateway"); v.Secret != nil && len(v.Secret.Items) != want {
					t.Errorf("%s: mounts %d items of the NATS auth Secret, want its own seed only (and the gateway the callout's, its xkey and the system user's)", d.Name, len(v.Secret.Items))
				}
				if _, err := bus.PermissionsOf(svcName); err != nil {
					t.Errorf("%s: its seed's role: %v", d.Name, err)
				}
				if opts.SecretsKeyFile != "" {
					v, key, ok := mountOf(pod, c, opts.SecretsKeyFile)
					if !ok || v.Secret == nil || v.Secret.SecretName != "dray-secrets-key" || key != "key" {
						t.Errorf("%s: --secrets-key-file %q is not key \"key\" of Secret dray-secrets-key", d.Name, opts.SecretsKeyFile)
					}
				} else if name == "non-default" && svcName != "state" {
					t.Errorf("%s: no --secrets-key-file although secretsKey.secretName is set", d.Name)
				}
				if _, _, ok := mountOf(pod, c, os.TempDir()); !ok {
					t.Errorf("%s: %s is not a volume, and the root filesystem is read-only", d.Name, os.TempDir())
				}
				switch {
				case svcName == "gateway":
					checkGateway(t, r, d, pod, c, authSecret)
				case strings.HasPrefix(svcName, "executor-"):
					var eo executor.Options
					fs := flag.NewFlagSet(svcName, flag.ContinueOnError)
					eo.BindFlags(fs)
					if _, _, ok := mountOf(pod, c, eo.CacheDir); eo.CacheDir == "" || !ok {
						t.Errorf("%s: --cache-dir %q is not a volume", d.Name, eo.CacheDir)
					}
				}
				if svcName == "executor-container" {
					var co executorcontainer.Options
					fs := flag.NewFlagSet(svcName, flag.ContinueOnError)
					co.BindFlags(fs)
					if v, _, ok := mountOf(pod, c, co.RuncRoot); !ok || v.EmptyDir == nil {
						t.Errorf("%s: --runc-root %q is not an emptyDir", d.Name, co.RuncRoot)
					}
				}
			}
		})
	}
}

func checkGateway(t *testing.T, r *rendered, d *appsv1.Deployment, pod corev1.PodSpec, c corev1.Container, authSecret string) {
	t.Helper()
	var gw gateway.Options
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	gw.BindFlags(fs)
	svc, ok := r.services["rel-gateway"]
	if !ok {
		t.Fatal("no Service rel-gateway")
	}
	http, ok := containerPort(d.Spec.Template, svc.Spec.Ports[0].TargetPort.String())
	if !ok {
		t.Fatalf("Service rel-gateway: targetPort %s is no port of the gateway", svc.Spec.Ports[0].TargetPort.String())
	}
	if listen := portOf(t, gw.Addr); listen != http {
		t.Errorf("the gateway listens on %q (DRAY_GATEWAY_ADDR), its Service targets container port %d", gw.Addr, http)
	}
	for flagName, file := range map[string]string{"--tls-cert": gw.TLSCert, "--tls-key": gw.TLSKey,
		"--oidc-client-secret-file": gw.OIDC.ClientSecretFile, "--session-key-file": gw.OIDC.SessionKeyFile} {
		if file == "" {
			continue
		}
		if v, _, ok := mountOf(pod, c, file); !ok || v.Secret == nil {
			t.Errorf("gateway: %s %q is not a file of a mounted Secret", flagName, file)
		}
	}
	// API tokens reach NATS through the auth callout, answered with the seed dray nats config
	// keeps beside the services' seeds.
	if v, key, ok := mountOf(pod, c, gw.NATSCalloutSeed); !ok || v.Secret == nil || v.Secret.SecretName != authSecret || key != filepath.Base(bus.CalloutSeedFile("")) {
		t.Errorf("gateway: --nats-callout-seed %q is not the %s key of Secret %s", gw.NATSCalloutSeed, filepath.Base(bus.CalloutSeedFile("")), authSecret)
	}
	if v, key, ok := mountOf(pod, c, gw.NATSCalloutXKey); !ok || v.Secret == nil || v.Secret.SecretName != authSecret || key != filepath.Base(bus.CalloutXKeyFile("")) {
		t.Errorf("gateway: --nats-callout-xkey %q is not the %s key of Secret %s", gw.NATSCalloutXKey, filepath.Base(bus.CalloutXKeyFile("")), authSecret)
	}
	// It closes a revoked token's NATS connections as the system account's user.
	if v, key, ok := mountOf(pod, c, gw.NATSSystemNKey); !ok || v.Secret == nil || v.Secret.SecretName != authSecret || key != filepath.Base(bus.SeedFile("", bus.RoleSystem)) {
		t.Errorf("gateway: --nats-system-nkey %q is not the %s key of Secret %s", gw.NATSSystemNKey, filepath.Base(bus.SeedFile("", bus.RoleSystem)), authSecret)
	}
	if err := gw.Validate(); err != nil {
		t.Errorf("gateway: its options do not validate: %v", err)
	}
}

// NATS's configuration, with the users `dray nats config --users-only` prints, is one the
// nats-server loads, listening where the StatefulSet's ports and Services say, storing on the
// volume, routing to every server; with one server it starts, refuses a client without
// credentials, and every service opens the layout with the seed the chart mounts for it.
func TestChartNATS(t *testing.T) {
	for _, replicas := range []int{3, 1} {
		t.Run(fmt.Sprintf("replicas=%d", replicas), func(t *testing.T) {
			r := render(t, "rel", fmt.Sprintf("nats: {replicas: %d}\n", replicas))
			sts, ok := r.statefulSets["rel-nats"]
			if !ok {
				t.Fatal("no StatefulSet rel-nats")
			}
			if int(*sts.Spec.Replicas) != replicas {
				t.Errorf("NATS replicas %d, want %d", *sts.Spec.Replicas, replicas)
			}
			cm := r.configMaps["rel-nats-config"]
			if cm == nil {
				t.Fatal("no ConfigMap rel-nats-config")
			}
			dir := t.TempDir()
			seeds := filepath.Join(dir, "seeds")
			users := &bus.Users{}
			for _, role := range append(bus.ServiceRoles(bus.BuiltinExecutors), bus.RoleSystem) {
				kp, err := bus.EnsureSeed(bus.SeedFile(seeds, role))
				if err != nil {
					t.Fatal(err)
				}
				if err := users.Add(role, kp); err != nil {
					t.Fatal(err)
				}
			}
			// the files where the StatefulSet mounts them, under dir
			c := sts.Spec.Template.Spec.Containers[0]
			confPath := ""
			for _, m := range c.VolumeMounts {
				switch m.Name {
				case "config":
					confPath = filepath.Join(dir, m.MountPath)
					if err := os.MkdirAll(filepath.Dir(confPath), 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(confPath, []byte(cm.Data[m.SubPath]), 0o600); err != nil {
						t.Fatal(err)
					}
				case "auth":
					var b bytes.Buffer
					if err := users.WriteAuthorization(&b); err != nil {
						t.Fatal(err)
					}
					for _, v := range sts.Spec.Template.Spec.Volumes {
						if v.Name == "auth" {
							if v.Secret.SecretName != "dray-nats-auth" || len(v.Secret.Items) != 1 {
								t.Errorf("NATS mounts %+v of its auth Secret, want auth.conf of dray-nats-auth alone", v.Secret)
							}
							p := filepath.Join(dir, m.MountPath, v.Secret.Items[0].Path)
							if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
								t.Fatal(err)
							}
							if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
			}
			for _, e := range c.Env {
				if e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" {
					t.Setenv("POD_NAME", "rel-nats-0")
				}
			}
			if !slices.Equal(c.Args, []string{"--config", "/etc/nats/nats.conf"}) || confPath != filepath.Join(dir, "/etc/nats/nats.conf") {
				t.Fatalf("NATS runs with %v, config mounted at %s", c.Args, confPath)
			}
			opts, err := server.ProcessConfigFile(confPath)
			if err != nil {
				t.Fatalf("nats-server cannot load the chart's configuration: %v\n%s", err, cm.Data["nats.conf"])
			}
			if opts.ServerName != "rel-nats-0" {
				t.Errorf("server_name %q, want the pod's name", opts.ServerName)
			}
			pod := sts.Spec.Template
			for port, want := range map[string]int{"client": opts.Port, "monitor": opts.HTTPPort, "cluster": opts.Cluster.Port} {
				got, ok := containerPort(pod, port)
				if replicas == 1 && port == "cluster" {
					continue
				}
				if !ok || int(got) != want {
					t.Errorf("container port %s is %d, nats-server listens on %d", port, got, want)
				}
			}
			if v, _, ok := mountOf(withClaims(sts), c, opts.StoreDir); !ok || v.Name != "data" {
				t.Errorf("JetStream stores in %s, which is not the data volume", opts.StoreDir)
			}
			if replicas > 1 {
				if len(opts.Routes) != replicas {
					t.Errorf("%d routes, want one per server (%d)", len(opts.Routes), replicas)
				}
				for _, u := range opts.Routes {
					host := strings.SplitN(u.Hostname(), ".", 2)
					if len(host) != 2 || r.services[host[1]] == nil || portOf(t, u.Host) != int32(opts.Cluster.Port) || !strings.HasPrefix(host[0], "rel-nats-") {
						t.Errorf("route %s: not <pod>.<headless Service>:<cluster port>", u)
					}
				}
			} else if len(opts.Routes) != 0 || opts.Cluster.Port != 0 {
				t.Errorf("one server with a cluster: routes %v", opts.Routes)
			}
			if len(opts.Nkeys) != len(bus.ServiceRoles(bus.BuiltinExecutors))+1 {
				t.Errorf("%d users, want one per service role and the system account's", len(opts.Nkeys))
			}
			if replicas > 1 {
				return
			}
			// one server: start it and let every service open the layout as the chart has it
			opts.StoreDir = filepath.Join(dir, "js")
			opts.Host, opts.Port, opts.HTTPPort, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, 0, true, true
			ns, err := server.NewServer(opts)
			if err != nil {
				t.Fatal(err)
			}
			ns.Start()
			t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
			if !ns.ReadyForConnections(10 * time.Second) {
				t.Fatal("nats-server did not start")
			}
			for _, svcName := range services {
				d := r.deployments["rel-"+svcName]
				envOf(t, d.Spec.Template.Spec.Containers[0])
				var so service.Options
				so.BindFlags(flag.NewFlagSet(svcName, flag.ContinueOnError), service.DefaultHTTPAddr)
				_, key, _ := mountOf(d.Spec.Template.Spec, d.Spec.Template.Spec.Containers[0], so.Bus.NKeyFile)
				so.Bus.URL, so.Bus.NKeyFile, so.Bus.Timeout = ns.ClientURL(), filepath.Join(seeds, key), 5*time.Second
				if so.Bus.Replicas != 1 {
					t.Errorf("%s: --nats-replicas %d on one server", svcName, so.Bus.Replicas)
				}
				nc, err := so.Bus.Connect("dray-" + svcName)
				if err != nil {
					t.Fatalf("%s: %v", svcName, err)
				}
				if _, err := bus.New(t.Context(), nc, so.Bus); err != nil {
					t.Errorf("%s cannot open the layout with the seed the chart mounts: %v", svcName, err)
				}
				nc.Close()
			}
			gwd := r.deployments["rel-gateway"].Spec.Template
			envOf(t, gwd.Spec.Containers[0])
			var gw gateway.Options
			gw.BindFlags(flag.NewFlagSet("gateway", flag.ContinueOnError))
			if _, key, ok := mountOf(gwd.Spec, gwd.Spec.Containers[0], gw.NATSSystemNKey); ok {
				wantKicker(t, ns, filepath.Join(seeds, key))
			}
			if _, err := (&bus.Options{URL: ns.ClientURL()}).Connect("dray-nobody"); err == nil {
				t.Error("a client without credentials connected to the chart's NATS")
			}
		})
	}
}

// With three NATS servers Dray's streams and buckets get three replicas; with one, one.
func TestChartStreamReplicas(t *testing.T) {
	for values, want := range map[string]string{"": "3", "nats: {replicas: 1}": "1", "nats: {replicas: 5}": "3",
		"nats: {replicas: 5, streamReplicas: 5}": "5", "nats: {enabled: false, url: nats://x:4222}": "1"} {
		r := render(t, "rel", values)
		for _, d := range r.deployments {
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "DRAY_NATS_REPLICAS" && e.Value != want {
					t.Errorf("values %q: %s has DRAY_NATS_REPLICAS %s, want %s", values, d.Name, e.Value, want)
				}
			}
		}
	}
}

// With KEDA on, each executor has a ScaledObject on its own durable consumer of DRAY_STEPS
// (the one its NATS user may pull from), reading NATS's monitoring port, and its Deployment
// leaves the replicas to KEDA; services that are not executors are not scaled.
func TestChartKEDA(t *testing.T) {
	r := render(t, "rel", valueSets["non-default"])
	if len(r.scaled) == 0 {
		t.Fatal("keda.enabled: no ScaledObject")
	}
	for _, svcName := range services {
		d, deployed := r.deployments["rel-"+svcName]
		so, scaled := r.scaled["rel-"+svcName]
		if !strings.HasPrefix(svcName, "executor-") || !deployed {
			if scaled {
				t.Errorf("%s: scaled by KEDA, but it is not a deployed executor", svcName)
			}
			continue
		}
		if !scaled {
			t.Errorf("%s: no ScaledObject", svcName)
			continue
		}
		if d.Spec.Replicas != nil {
			t.Errorf("%s: replicas %d in the Deployment would fight KEDA's", svcName, *d.Spec.Replicas)
		}
		if so.Spec.ScaleTargetRef.Name != d.Name {
			t.Errorf("%s: scales %q", svcName, so.Spec.ScaleTargetRef.Name)
		}
		if len(so.Spec.Triggers) != 1 || so.Spec.Triggers[0].Type != "nats-jetstream" {
			t.Fatalf("%s: triggers %+v, want one nats-jetstream", svcName, so.Spec.Triggers)
		}
		m := so.Spec.Triggers[0].Metadata
		perms, err := bus.PermissionsOf(svcName)
		if err != nil {
			t.Fatal(err)
		}
		if m["stream"] != bus.StreamSteps || !slices.Contains(perms.Publish, "$JS.API.CONSUMER.MSG.NEXT."+m["stream"]+"."+m["consumer"]) {
			t.Errorf("%s: scales on %s/%s, which is not the consumer it pulls its jobs from", svcName, m["stream"], m["consumer"])
		}
		if m["account"] != "$G" {
			t.Errorf("%s: account %q, want $G (NATS's users are in the global account)", svcName, m["account"])
		}
		host, port, _ := net.SplitHostPort(m["natsServerMonitoringEndpoint"])
		name, ns, _ := strings.Cut(host, ".")
		if r.services[name] == nil || !strings.HasPrefix(ns, namespace+".svc") || r.services[name].Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("%s: monitoring endpoint %s is not the headless NATS Service", svcName, m["natsServerMonitoringEndpoint"])
		}
		if mon, _ := containerPort(r.statefulSets["rel-nats"].Spec.Template, "monitor"); strconv.Itoa(int(mon)) != port {
			t.Errorf("%s: monitoring endpoint port %s, NATS monitors on %d", svcName, port, mon)
		}
		wantMax := int32(20)
		if svcName == "executor-git" {
			wantMax = 50
		}
		if *so.Spec.MaxReplicaCount != wantMax {
			t.Errorf("%s: maxReplicaCount %d, want %d", svcName, *so.Spec.MaxReplicaCount, wantMax)
		}
	}
}

// Bad values fail the install (values.schema.json, or the templates) with a message naming
// the value and what to do.
func TestChartRefusesBadValues(t *testing.T) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	for values, want := range map[string]string{
		"services: {executor-gti: {enabled: true}}": "'executor-gti' not allowed",
		"gatway: {port: 8443}":                      "'gatway' not allowed",
		"gateway: {port: 80800}":                    "/gateway/port",
		"nats: {replicas: 0}":                       "/nats/replicas",
		"nats: {enabled: false}":                    "nats.url: with nats.enabled false",
		"nats: {auth: {secretName: \"\"}}":          "nats.auth.secretName: name the Secret",
		"gateway: {oidc: {issuer: https://idp}}":    "gateway.oidc.clientID",
		"metrics: {podMonitor: {interval: soon}}":   "/metrics/podMonitor/interval",
		"metrics: {podMonitor: {enable: true}}":     "'enable' not allowed",
	} {
		vals, err := chartutil.ReadValues([]byte(values))
		if err != nil {
			t.Fatal(err)
		}
		top, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{Name: "rel", Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
		if err == nil {
			_, err = engine.Render(chrt, top)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("values %q: error %v, want one saying %q", values, err, want)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
