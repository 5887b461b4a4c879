package e2e_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/token"
	"github.com/drayhq/dray/services/gateway"
	"github.com/drayhq/dray/services/warehouse"
)

const hookProject = "hooks"

// wait bounds how long a webhook test waits for the services; it is not a timing assertion.
const wait = 60 * time.Second

// countingRegistry is go-containerregistry's registry on loopback that counts tag listings.
type countingRegistry struct {
	host  string
	lists atomic.Int64
}

func newCountingRegistry(t *testing.T) *countingRegistry {
	t.Helper()
	reg := &countingRegistry{}
	h := registry.New(registry.Logger(stdlog.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			reg.lists.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	reg.host = strings.TrimPrefix(srv.URL, "http://")
	return reg
}

// push writes a random image as repo:tag and returns its digest.
func (r *countingRegistry) push(t *testing.T, repo, tag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(r.host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// hookDray is the warehouse service and the gateway on embedded NATS, with a secret store.
type hookDray struct {
	ns      *bustest.Server
	bus     *bus.Bus
	secrets *secret.Store
	url     string
	// admin is a system-admin token, made before the gateway starts.
	admin string
}

func startHookDray(t *testing.T) *hookDray {
	t.Helper()
	ns := bustest.Start(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	d := &hookDray{ns: ns, bus: ns.Connect(t)}
	var err error
	if d.admin, _, err = token.NewStore(d.bus.Tokens).Create(t.Context(), v1.APIToken{Name: "admin", SystemAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if d.secrets, err = secret.NewStore(d.bus.Secrets, key); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	services := map[string]func(context.Context, service.Deps) error{
		"warehouse": func(ctx context.Context, deps service.Deps) error {
			return warehouse.Run(ctx, warehouse.Options{}, deps)
		},
		"gateway": func(ctx context.Context, deps service.Deps) error {
			return gateway.Run(ctx, gateway.Options{Addr: "127.0.0.1:0", Ready: ready}, deps)
		},
	}
	for svc, run := range services {
		nc, err := nats.Connect(ns.ClientURL(), nats.Name("test-"+svc))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		b, err := bus.New(ctx, nc, bus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := secret.NewStore(b.Secrets, key)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			deps := service.Deps{Log: logger().With("service", svc), Bus: b, Metrics: prometheus.NewRegistry(), Secrets: st}
			if err := run(ctx, deps); err != nil && ctx.Err() == nil {
				t.Errorf("service %s stopped: %v", svc, err)
			}
		})
		t.Cleanup(func() { cancel(); wg.Wait(); nc.Close() })
	}
	select {
	case addr := <-ready:
		d.url = "http://" + addr
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not listen within 30s")
	}
	return d
}

// receiver configures a webhook receiver with its Secret and returns its URL, as the API
// lists it.
func (d *hookDray) receiver(t *testing.T, rc v1.WebhookReceiver, secretName string, data map[string]string) string {
	t.Helper()
	if _, err := d.secrets.Put(t.Context(), &v1.Secret{Metadata: v1.ObjectMeta{Name: secretName, Namespace: hookProject}, StringData: data}); err != nil {
		t.Fatal(err)
	}
	var cfg v1.ProjectConfig
	_, _ = d.bus.GetJSON(t.Context(), d.bus.Resources, bus.ResourceKey(hookProject, v1.KindProjectConfig, hookProject), &cfg)
	cfg.TypeMeta = v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProjectConfig}
	cfg.Metadata = v1.ObjectMeta{Name: hookProject, Namespace: hookProject}
	cfg.Spec.WebhookReceivers = append(cfg.Spec.WebhookReceivers, rc)
	putResource(t, d.bus, hookProject, v1.KindProjectConfig, hookProject, &cfg)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, d.url+"/api/v1/projects/"+hookProject+"/webhookreceivers", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var infos []gateway.WebhookReceiverInfo
	if err := json.NewDecoder(resp.Body).Decode(&infos); err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Name == rc.Name {
			if info.Path == "" {
				t.Fatalf("receiver %s has no path: %s", rc.Name, info.Error)
			}
			return d.url + info.Path
		}
	}
	t.Fatalf("receivers = %+v, want %s listed", infos, rc.Name)
	return ""
}

func (d *hookDray) warehouse(t *testing.T, name string, subs ...v1.RepoSubscription) {
	t.Helper()
	putResource(t, d.bus, hookProject, v1.KindWarehouse, name, &v1.Warehouse{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
		Metadata: v1.ObjectMeta{Name: name, Namespace: hookProject},
		Spec:     v1.WarehouseSpec{Interval: "1h", Subscriptions: subs},
	})
}

// post sends a webhook and returns its status and the Warehouses it says it refreshed.
func post(t *testing.T, url string, body []byte, headers map[string]string) (int, []string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Refreshed []string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Refreshed
}

// freightEvents follows the project's freight.created events.
type freightEvents struct {
	cons jetstream.Consumer
	b    *bus.Bus
}

func watchFreight(t *testing.T, b *bus.Bus) *freightEvents {
	t.Helper()
	cons, err := b.JS.OrderedConsumer(t.Context(), bus.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{bus.EventSubject(hookProject, v1.TypeFreightCreated)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &freightEvents{cons: cons, b: b}
}

// next waits for the next freight.created event and returns its Freight.
func (f *freightEvents) next(t *testing.T, what string) *v1.Freight {
	t.Helper()
	msg, err := f.cons.Next(jetstream.FetchMaxWait(wait))
	if err != nil {
		t.Fatalf("no freight.created event for %s within %s: %v", what, wait, err)
	}
	var e v1.Event
	var data v1.FreightEvent
	if err := json.Unmarshal(msg.Data(), &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	fr, err := store.Freight(t.Context(), f.b, hookProject, data.Freight)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

// refreshCommands records the refresh commands published for the project.
func refreshCommands(t *testing.T, b *bus.Bus) <-chan v1.RefreshCommand {
	t.Helper()
	ch := make(chan v1.RefreshCommand, 64)
	sub, err := b.Conn.Subscribe(bus.CommandSubject(hookProject, "refresh"), func(m *nats.Msg) {
		var cmd v1.RefreshCommand
		if json.Unmarshal(m.Data, &cmd) == nil {
			ch <- cmd
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := b.Conn.Flush(); err != nil {
		t.Fatal(err)
	}
	return ch
}

func nextCommand(t *testing.T, ch <-chan v1.RefreshCommand) v1.RefreshCommand {
	t.Helper()
	select {
	case cmd := <-ch:
		return cmd
	case <-time.After(wait):
		t.Fatalf("no refresh command within %s", wait)
	}
	return v1.RefreshCommand{}
}

func distributionPush(host, repo, tag, digest string) []byte {
	b, _ := json.Marshal(map[string]any{"events": []any{
		map[string]any{"action": "push", "target": map[string]any{
			"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "repository": repo, "tag": tag,
		}, "request": map[string]any{"host": host}},
	}})
	return b
}

// TestRegistryWebhook: a Distribution notification of a push refreshes only the Warehouse that
// watches the repository; the warehouse looks the pushed tag up without listing the
// repository's tags, and makes its Freight. A wrong token is refused with 401 and refreshes
// nothing; a push to a repository nobody watches refreshes nothing.
func TestRegistryWebhook(t *testing.T) {
	reg := newCountingRegistry(t)
	reg.push(t, "app", "v1.0.0")
	reg.push(t, "other", "v1.0.0")
	d := startHookDray(t)
	events := watchFreight(t, d.bus)
	cmds := refreshCommands(t, d.bus)
	hook := d.receiver(t, v1.WebhookReceiver{Name: "registry", Distribution: &v1.WebhookReceiverConfig{SecretRef: v1.LocalObjectReference{Name: "registry-hook"}}},
		"registry-hook", map[string]string{"secret": "s3cret"})

	d.warehouse(t, "app", v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: reg.host + "/app"}})
	if f := events.next(t, "the first discovery of app"); f.Images[0].Tag != "v1.0.0" {
		t.Fatalf("first freight = %+v, want app v1.0.0", f.Images)
	}
	d.warehouse(t, "other", v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: reg.host + "/other"}})
	if f := events.next(t, "the first discovery of other"); f.Origin.Name != "other" {
		t.Fatalf("second freight from %s, want other", f.Origin.Name)
	}
	listed := reg.lists.Load()

	digest := reg.push(t, "app", "v1.1.0")
	auth := map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "application/vnd.docker.distribution.events.v1+json"}
	if code, refreshed := post(t, hook, distributionPush(reg.host, "app", "v1.1.0", digest), map[string]string{"Authorization": "Bearer wrong"}); code != http.StatusUnauthorized || len(refreshed) != 0 {
		t.Errorf("wrong token: %d %v, want 401 and nothing refreshed", code, refreshed)
	}
	if code, _ := post(t, hook, distributionPush(reg.host, "app", "v1.1.0", digest), nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, refreshed := post(t, hook+"0", distributionPush(reg.host, "app", "v1.1.0", digest), auth); code != http.StatusNotFound || len(refreshed) != 0 {
		t.Errorf("unknown receiver path: %d %v, want 404", code, refreshed)
	}
	if code, refreshed := post(t, hook, distributionPush(reg.host, "unrelated", "v9.0.0", digest), auth); code != http.StatusOK || len(refreshed) != 0 {
		t.Errorf("push to an unwatched repository: %d %v, want 200 and nothing refreshed", code, refreshed)
	}
	code, refreshed := post(t, hook, distributionPush(reg.host, "app", "v1.1.0", digest), auth)
	if code != http.StatusOK || len(refreshed) != 1 || refreshed[0] != "app" {
		t.Fatalf("push to app: %d %v, want 200 and [app] refreshed", code, refreshed)
	}
	// The refused and unrelated webhooks published nothing: the first command is this one.
	cmd := nextCommand(t, cmds)
	want := v1.RefreshArtifact{RepoURL: reg.host + "/app", Tag: "v1.1.0", Digest: digest}
	if cmd.Warehouse != "app" || cmd.Artifact == nil || *cmd.Artifact != want {
		t.Errorf("refresh command = %+v (artifact %+v), want one for app with %+v", cmd, cmd.Artifact, want)
	}
	f := events.next(t, "the pushed v1.1.0")
	if f.Origin.Name != "app" || f.Images[0].Tag != "v1.1.0" || f.Images[0].Digest != digest {
		t.Errorf("freight after the webhook = %s %+v, want app v1.1.0@%s", f.Origin.Name, f.Images, digest)
	}
	if n := reg.lists.Load(); n != listed {
		t.Errorf("tag listings: %d after the webhook, %d before; want no listing for the refresh", n, listed)
	}
	// The status is recorded just after the Freight is made.
	var refs []v1.DiscoveredImageReference
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		wh, err := store.Warehouse(t.Context(), d.bus, hookProject, "app")
		if err != nil {
			t.Fatal(err)
		}
		if wh.Status.LastHandledRefresh == cmd.ID {
			refs = wh.Status.DiscoveredArtifacts.Images[0].References
			break
		}
	}
	if len(refs) != 2 || refs[0].Tag != "v1.1.0" || refs[1].Tag != "v1.0.0" {
		t.Errorf("discovered after the webhook = %+v, want v1.1.0 merged before v1.0.0", refs)
	}
	select {
	case cmd := <-cmds:
		t.Errorf("unexpected refresh command %+v", cmd)
	default:
	}
}

// TestGitHubPushWebhook: a signed GitHub push event refreshes the git Warehouse of the
// repository, which makes the Freight of the pushed commit; a bad signature gets 401.
func TestGitHubPushWebhook(t *testing.T) {
	git := gittest.NewServer(t)
	url := git.Repo(t, "cfg", map[string]string{"app.yaml": "v: 1\n"})
	d := startHookDray(t)
	events := watchFreight(t, d.bus)
	hook := d.receiver(t, v1.WebhookReceiver{Name: "gh", GitHub: &v1.WebhookReceiverConfig{SecretRef: v1.LocalObjectReference{Name: "gh-hook"}}},
		"gh-hook", map[string]string{"secret": "hub-secret"})
	d.warehouse(t, "cfg", v1.RepoSubscription{Git: &v1.GitSubscription{RepoURL: url, Branch: "main"}})
	events.next(t, "the first discovery")

	head := git.Commit(t, "cfg", "main", "bump", map[string]string{"app.yaml": "v: 2\n"})
	body, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "after": head,
		"repository": map[string]any{"clone_url": strings.ToUpper(url[:4]) + url[4:] + "/", "ssh_url": "git@example.com:x/cfg.git"},
	})
	mac := hmac.New(sha256.New, []byte("hub-secret"))
	mac.Write(body)
	headers := map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}
	bad := map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + strings.Repeat("00", 32)}
	if code, _ := post(t, hook, body, bad); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d, want 401", code)
	}
	code, refreshed := post(t, hook, body, headers)
	if code != http.StatusOK || fmt.Sprint(refreshed) != "[cfg]" {
		t.Fatalf("push: %d %v, want 200 and [cfg]", code, refreshed)
	}
	if f := events.next(t, "the pushed commit"); f.Commits[0].ID != head {
		t.Errorf("freight commit = %s, want the pushed %s", f.Commits[0].ID, head)
	}
}
