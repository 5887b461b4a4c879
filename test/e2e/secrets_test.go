package e2e_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/container/containertest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	executorcontainer "github.com/drayhq/dray/services/executor-container"
	executorgit "github.com/drayhq/dray/services/executor-git"
	executorhttp "github.com/drayhq/dray/services/executor-http"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

// Secret values of the scan. The token holds characters that URLs and JSON escape.
const (
	scanToken   = "Tk9-Scan/Value+42"
	scanGitUser = "deploy-bot"
	scanGitPass = "GitPass-Scan-77"
)

// TestNoSecretValueAnywhere runs promotions that use Secrets in every way a template can —
// a yaml-update value (which lands in its commitMessage output), the env of a custom
// container step (which prints it into its outputs), an http step header (which the server
// echoes into an output), git credentials for an authenticated server, and a git-clone
// repoURL that fails and quotes it — while a plain client subscribes to every subject. Then
// no secret value, as written or URL-escaped or base64-encoded, is in any message it
// received, in any message kept in any stream (every KV bucket included; dray-secrets holds
// them encrypted), in any object (the workspaces included, read whole and gunzipped; they
// are encrypted) or in any line the services logged.
func TestNoSecretValueAnywhere(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	ctx := t.Context()

	// Everything published from now on, as any client allowed to subscribe to > sees it.
	seen := &received{}
	spy, err := nats.Connect(ns.ClientURL(), nats.Name("spy"))
	if err != nil {
		t.Fatal(err)
	}
	defer spy.Close()
	if _, err := spy.Subscribe(">", seen.add); err != nil {
		t.Fatal(err)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}

	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	git := gittest.NewServer(t)
	git.RequireBasicAuth(scanGitUser, scanGitPass)
	repoURL := git.Repo(t, "config", map[string]string{"env/dev/values.yaml": valuesYAML})
	for _, s := range []*v1.Secret{
		scanSecret("app", "", map[string]string{"token": scanToken}),
		scanSecret("repo", secret.TypeGit, map[string]string{"repoURL": repoURL, "username": scanGitUser, "password": scanGitPass}),
	} {
		if _, err := secrets.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	// An API that echoes the header it was sent, as a careless one would.
	var gotHeader sync.Map
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader.Store("x-token", r.Header.Get("X-Token"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo":%q}`, r.Header.Get("X-Token"))
	}))
	defer api.Close()

	registry := containertest.NewRegistry(t)
	image := registry.Push(t, "tools/busybox", "1", containertest.BusyboxImage(t))
	putResource(t, b, project, v1.KindCustomPromotionStep, "print-env", v1.CustomPromotionStep{
		TypeMeta: v1.TypeMeta{APIVersion: "ee.kargo.akuity.io/v1alpha1", Kind: v1.KindCustomPromotionStep},
		Metadata: v1.ObjectMeta{Name: "print-env", Namespace: project},
		Spec: v1.CustomPromotionStepSpec{
			Image:   image,
			Command: []string{"sh", "-c", `echo "seen=$TOKEN" > $KARGO_OUTPUT`},
			Env:     []v1.ExpressionVariable{{Name: "TOKEN", Value: "${{ config.token }}"}},
		},
	})

	useSecret := "${{ secret('app').token }}"
	putResource(t, b, project, v1.KindStage, "dev", scanStage("dev", []v1.PromotionStep{
		{Uses: "git-clone", As: "clone", Config: map[string]any{
			"repoURL": repoURL, "checkout": []any{map[string]any{"branch": "main", "path": "./src"}},
		}},
		{Uses: "yaml-update", As: "update", Config: map[string]any{
			"path":    "./src/env/dev/values.yaml",
			"updates": []any{map[string]any{"key": "image.tag", "value": useSecret}},
		}},
		{Uses: "git-commit", As: "commit", Config: map[string]any{"path": "./src", "message": "${{ outputs.update.commitMessage }}"}},
		{Uses: "git-push", As: "push", Config: map[string]any{"path": "./src"}},
		{Uses: "http", As: "call", Config: map[string]any{
			"url": api.URL + "/hook", "headers": []any{map[string]any{"name": "X-Token", "value": useSecret}},
			"outputs": []any{map[string]any{"name": "echoed", "fromExpression": "response.body.echo"}},
		}},
		{Uses: "print-env", As: "custom", Config: map[string]any{"token": useSecret}},
	}))
	putResource(t, b, project, v1.KindStage, "broken", scanStage("broken", []v1.PromotionStep{
		{Uses: "git-clone", As: "clone", Config: map[string]any{
			"repoURL":  "http://127.0.0.1:1/" + useSecret + "/config.git",
			"checkout": []any{map[string]any{"branch": "main", "path": "./src"}},
		}},
	}))
	f := putFreight(t, b, project, &v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1.2.0"}},
	})

	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	start := func(name string, run func(context.Context, service.Deps) error) {
		startServiceWith(t, ns, name, log, key, run)
	}
	dir := t.TempDir()
	// Workspaces kept, so that the scan of the streams reads them too.
	start("state", func(ctx context.Context, d service.Deps) error {
		return state.Run(ctx, state.Options{KeepWorkspaces: true}, d)
	})
	start("scheduler", func(ctx context.Context, d service.Deps) error { return scheduler.Run(ctx, scheduler.Options{}, d) })
	start("executor-git", func(ctx context.Context, d service.Deps) error {
		return executorgit.Run(ctx, executorgit.Options{Options: executor.Options{CacheDir: filepath.Join(dir, "git")}}, d)
	})
	start("executor-config", func(ctx context.Context, d service.Deps) error {
		return executorconfig.Run(ctx, executor.Options{CacheDir: filepath.Join(dir, "config")}, d)
	})
	start("executor-http", func(ctx context.Context, d service.Deps) error {
		return executorhttp.Run(ctx, executorhttp.Options{Options: executor.Options{CacheDir: filepath.Join(dir, "http")},
			AllowedHosts: map[string][]string{"*": {"127.0.0.1"}}}, d)
	})
	start("executor-container", func(ctx context.Context, d service.Deps) error {
		return executorcontainer.Run(ctx, executorcontainer.Options{
			Executor:   executor.Options{CacheDir: filepath.Join(dir, "container")},
			Runc:       "runc",
			RuncRoot:   filepath.Join(dir, "runc"),
			ImageCache: filepath.Join(dir, "images"),
		}, d)
	})

	publishPromote(t, ns, "dev", f)
	publishPromote(t, ns, "broken", f)
	dev := waitStage(t, b, "dev", 120*time.Second)
	broken := waitStage(t, b, "broken", 120*time.Second)

	// The secrets were used: the file pushed holds the token, the API got it, and the
	// outputs that showed it show it redacted.
	if dev.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("dev promotion %s: %s", dev.Status.Phase, dev.Status.Message)
	}
	if values := git.ReadFile(t, "config", "main", "env/dev/values.yaml"); !strings.Contains(values, scanToken) {
		t.Errorf("pushed values.yaml does not hold the token:\n%s", values)
	}
	if h, _ := gotHeader.Load("x-token"); h != scanToken {
		t.Errorf("the API got X-Token %q, want the token", h)
	}
	for step, key := range map[string]string{"update": "commitMessage", "call": "echoed", "custom": "seen"} {
		if out, _ := dev.Status.State[step][key].(string); !strings.Contains(out, "[redacted]") {
			t.Errorf("output %s.%s = %q, want it to show the secret redacted", step, key, out)
		}
	}
	if broken.Status.Phase == v1.PhaseSucceeded || !strings.Contains(broken.Status.Message+stepMessages(broken), "127.0.0.1:1") {
		t.Errorf("broken promotion %s (%s), want it to fail on the clone and say where", broken.Status.Phase, broken.Status.Message+stepMessages(broken))
	}

	forms := secretForms(scanToken, scanGitPass)
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}
	objects := objectChunks{}
	for _, m := range seen.all() {
		objects.add(m.Subject, m.Data)
		if hit := find(forms, m.Subject, m.Header, m.Data); hit != "" {
			t.Errorf("a subscriber to > received a secret value (%s) on %s: %.400s", hit, m.Subject, m.Data)
		}
	}
	if objects.scan(t, forms, "a subscriber to > received") == 0 {
		t.Error("a subscriber to > received no workspace object: the scan of objects read nothing")
	}
	scanStreams(t, b, forms)
	if hit := find(forms, "", nil, logs.Bytes()); hit != "" {
		t.Errorf("the services logged a secret value (%s):\n%s", hit, around(logs.String(), hit))
	}
}

// scanStreams reads every message kept in every stream, the KV buckets' and object stores'
// included, and fails on a secret value. The objects are read whole and, when gzipped (as a
// workspace revision in clear is), decompressed: the files steps wrote, here the value
// yaml-update wrote, bound for git, must not be readable there.
func scanStreams(t *testing.T, b *bus.Bus, forms []string) {
	t.Helper()
	ctx := t.Context()
	names := b.JS.StreamNames(ctx)
	var scanned int
	objects := objectChunks{}
	for name := range names.Name() {
		// Read by sequence: that reads work queues too, without taking their messages.
		stream, err := b.JS.Stream(ctx, name)
		if err != nil {
			t.Fatalf("read stream %s: %v", name, err)
		}
		st := stream.CachedInfo().State
		for seq := st.FirstSeq; seq > 0 && seq <= st.LastSeq; seq++ {
			msg, err := stream.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // deleted: acked from a work queue, or an old KV revision
			}
			if err != nil {
				t.Fatalf("read message %d of stream %s: %v", seq, name, err)
			}
			scanned++
			objects.add(msg.Subject, msg.Data)
			if hit := find(forms, msg.Subject, msg.Header, msg.Data); hit != "" {
				t.Errorf("stream %s keeps a secret value (%s) on %s: %.400s", name, hit, msg.Subject, msg.Data)
			}
		}
	}
	if names.Err() != nil {
		t.Fatal(names.Err())
	}
	if scanned == 0 {
		t.Fatal("no stream held a message: the scan read nothing")
	}
	if objects.scan(t, forms, "the object store keeps") == 0 {
		t.Error("no object store held a workspace: the scan of objects read nothing")
	}
}

// objectChunks gathers the chunks of objects in NATS object stores, by chunk subject
// ($O.<bucket>.C.<id>, one per object), in order.
type objectChunks map[string][]byte

func (o objectChunks) add(subject string, data []byte) {
	if parts := strings.Split(subject, "."); len(parts) == 4 && parts[0] == "$O" && parts[2] == "C" {
		o[subject] = append(o[subject], data...)
	}
}

// scan fails on a secret value in an object, as stored or gunzipped, and returns how many
// objects of the workspace store it read.
func (o objectChunks) scan(t *testing.T, forms []string, where string) (workspaces int) {
	t.Helper()
	for subject, data := range o {
		if strings.HasPrefix(subject, "$O."+bus.ObjectWorkspaces+".") {
			workspaces++
		}
		if hit := find(forms, "", nil, data); hit != "" {
			t.Errorf("%s a secret value (%s) in object %s", where, hit, subject)
		}
		if hit := find(forms, "", nil, gunzip(data)); hit != "" {
			t.Errorf("%s a secret value (%s) in object %s, gzipped: %.200q", where, hit, subject, around(string(gunzip(data)), hit))
		}
	}
	return workspaces
}

// gunzip returns what data decompresses to, as far as it does, or nil when it is not gzip.
func gunzip(data []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(zr)
	return out
}

// secretForms are the values and the forms they take in URLs and base64.
func secretForms(values ...string) []string {
	var forms []string
	for _, v := range values {
		forms = append(forms, v, url.QueryEscape(v), url.PathEscape(v), base64.StdEncoding.EncodeToString([]byte(v)))
	}
	return forms
}

// find returns the first form found in the subject, headers or data, or "".
func find(forms []string, subject string, h nats.Header, data []byte) string {
	var hdr strings.Builder
	for k, vs := range h {
		hdr.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	for _, f := range forms {
		if strings.Contains(subject, f) || strings.Contains(hdr.String(), f) || bytes.Contains(data, []byte(f)) {
			return f
		}
	}
	return ""
}

func around(s, hit string) string {
	i := strings.Index(s, hit)
	return s[max(0, i-300):min(len(s), i+300)]
}

func stepMessages(p *v1.Promotion) string {
	var out []string
	for _, m := range p.Status.StepExecutionMetadata {
		out = append(out, m.Message)
	}
	return strings.Join(out, " ")
}

// received keeps every message a subscriber got.
type received struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func (r *received) add(m *nats.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *received) all() []*nats.Msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*nats.Msg(nil), r.msgs...)
}

// syncBuffer is a bytes.Buffer that several services log to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func (s *syncBuffer) String() string { return string(s.Bytes()) }

// startServiceWith is startService with the secrets key and a logger of the test's own.
func startServiceWith(t *testing.T, ns *bustest.Server, name string, log *slog.Logger, key []byte, run func(context.Context, service.Deps) error) {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL(), nats.Name("test-"+name))
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := bus.New(ctx, nc, bus.Options{})
	if err != nil {
		t.Fatalf("declare layout for %s: %v", name, err)
	}
	st, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		d := service.Deps{Log: log.With("service", name), Bus: b, Metrics: prometheus.NewRegistry(), Secrets: st}
		if err := run(ctx, d); err != nil && ctx.Err() == nil {
			t.Errorf("service %s stopped: %v", name, err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		nc.Close()
	})
}

func scanSecret(name, credType string, data map[string]string) *v1.Secret {
	s := &v1.Secret{TypeMeta: v1.TypeMeta{APIVersion: v1.CoreVersion, Kind: v1.KindSecret}, StringData: data}
	s.Metadata.Name, s.Metadata.Namespace = name, project
	if credType != "" {
		s.Metadata.Labels = map[string]string{v1.LabelCredType: credType}
	}
	return s
}

func scanStage(name string, steps []v1.PromotionStep) v1.Stage {
	return v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		Spec: v1.StageSpec{
			RequestedFreight:  direct,
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: steps}},
		},
	}
}

// waitStage waits for the Promotion of stage to finish and returns it.
func waitStage(t *testing.T, b *bus.Bus, stage string, within time.Duration) *v1.Promotion {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ps, err := store.List[v1.Promotion](t.Context(), b, b.Promotions, bus.Key(project, ">"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			if ps[i].Spec.Stage == stage && ps[i].Status.Finished() {
				return &ps[i]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no promotion of stage %s finished within %s", stage, within)
	return nil
}
