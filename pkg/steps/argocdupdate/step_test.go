package argocdupdate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/argocd/argocdtest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/argocdupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

const token = "s3cr3t-argocd-token"

// provider gives every project the fake server's client.
func provider(t *testing.T, srv *argocdtest.Server) *argocd.Provider {
	t.Helper()
	return argocd.NewProvider(srv.Config(), nil)
}

func authorized() map[string]string {
	return map[string]string{argocdupdate.AnnotationAuthorizedStage: "other:qa, kargo-demo:prod"}
}

func gitApp(name string) *argocdtest.App {
	return &argocdtest.App{Name: name, Annotations: authorized(), Spec: map[string]any{
		"project":     "default",
		"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "web"},
		"source": map[string]any{
			"repoURL": "https://github.com/example/deploy.git", "path": "prod", "targetRevision": "main",
			"directory": map[string]any{"recurse": true},
		},
		"syncPolicy": map[string]any{"automated": map[string]any{"prune": true}, "syncOptions": []any{"CreateNamespace=true"}},
	}}
}

func multiApp(name string) *argocdtest.App {
	return &argocdtest.App{Name: name, Annotations: authorized(), Spec: map[string]any{
		"project": "default",
		"sources": []any{
			map[string]any{"repoURL": "https://github.com/example/deploy", "path": "base", "targetRevision": "main",
				"kustomize": map[string]any{"images": []any{"ghcr.io/example/web:v1"}, "namePrefix": "prod-"}},
			map[string]any{"repoURL": "oci://ghcr.io/example/charts", "chart": "web", "targetRevision": "1.0.0",
				"helm": map[string]any{"parameters": []any{
					map[string]any{"name": "image.tag", "value": "v1"},
					map[string]any{"name": "replicas", "value": "2"},
				}, "releaseName": "web"}},
		},
	}}
}

// runUntilDone runs attempts as the scheduler would, until one is not Running; it fails the
// test after 20 attempts.
func runUntilDone(t *testing.T, s steps.Step, sc *steps.Context) (steps.Result, error, int) {
	t.Helper()
	for i := 1; i <= 20; i++ {
		sc.Attempt = i
		res, err := steptest.Run(t, s, sc)
		sc.Previous = res.Outputs
		if steps.Classify(res, err).Status != "Running" {
			return res, err, i
		}
	}
	t.Fatal("step still Running after 20 attempts")
	return steps.Result{}, nil, 0
}

func TestUpdateSyncAndFollow(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	app := gitApp("web-prod")
	// After the sync: Progressing on the GET that sees it end and the next, then Healthy.
	app.Outcome.Health = []string{argocd.HealthProgressing, argocd.HealthProgressing, argocd.HealthHealthy}
	srv.Add(app)
	step := argocdupdate.New(provider(t, srv))
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{
		"name": "web-prod",
		"sources": []any{map[string]any{
			"repoURL": "https://GitHub.com/example/deploy", "desiredRevision": "abc123", "updateTargetRevision": true,
		}},
	}}}, nil)

	// First attempt: the spec is updated and a sync started; the step waits.
	res, err := steptest.Run(t, step, sc)
	if o := steps.Classify(res, err); o.Status != "Running" || !strings.Contains(o.Message, "started a sync") {
		t.Fatalf("first attempt = %+v, want Running after starting a sync", o)
	}
	res, err, attempts := runUntilDone(t, step, sc)
	if err != nil {
		t.Fatalf("Run = %v, want success", err)
	}
	if attempts < 2 {
		t.Errorf("succeeded after %d more attempts, want the sync followed through Running", attempts)
	}

	spec := srv.Spec("argocd", "web-prod")
	src := spec["source"].(map[string]any)
	if src["targetRevision"] != "abc123" {
		t.Errorf("targetRevision = %v, want abc123", src["targetRevision"])
	}
	if diff := cmp.Diff(map[string]any{"recurse": true}, src["directory"]); diff != "" {
		t.Errorf("unknown source field lost (-want +got):\n%s", diff)
	}
	if spec["destination"] == nil || spec["project"] != "default" {
		t.Errorf("spec lost fields: %v", spec)
	}
	syncs := srv.Requests("POST")
	if len(syncs) != 1 {
		t.Fatalf("%d sync requests, want 1 (the step must recognise its own operation)", len(syncs))
	}
	body := syncs[0].Body
	if body["revision"] != "abc123" || body["prune"] != true {
		t.Errorf("sync request = %v, want revision abc123 and prune true", body)
	}
	infos, _ := body["infos"].([]any)
	if !strings.Contains(infoLines(infos), argocdupdate.InfoPromotion+"="+sc.Promotion+"\n") {
		t.Errorf("sync infos = %v, want the promotion %s", infos, sc.Promotion)
	}
	if got := syncs[0].Path; got != "/api/v1/applications/web-prod/sync" {
		t.Errorf("sync path = %s", got)
	}

	wantCheck := map[string]any{"uses": "argocd-update", "config": map[string]any{"apps": []any{
		map[string]any{"name": "web-prod", "namespace": "argocd", "desiredRevisions": []string{"abc123"}},
	}}}
	if diff := cmp.Diff(wantCheck, res.Outputs["healthCheck"]); diff != "" {
		t.Errorf("healthCheck output (-want +got):\n%s", diff)
	}

	// The registered check: Progressing right after the sync, then Healthy.
	cfg, err := argocdupdate.DecodeHealthConfig(wantCheck["config"].(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := provider(t, srv).Client(t.Context(), "kargo-demo")
	var seen []string
	for range 4 {
		status, _, _ := argocdupdate.CheckHealth(t.Context(), c, cfg)
		if len(seen) == 0 || seen[len(seen)-1] != status {
			seen = append(seen, status)
		}
	}
	if diff := cmp.Diff([]string{v1.HealthProgressing, v1.HealthHealthy}, seen); diff != "" {
		t.Errorf("health over successive checks (-want +got):\n%s", diff)
	}
}

func infoLines(v []any) string {
	var b strings.Builder
	for _, x := range v {
		m := x.(map[string]any)
		b.WriteString(m["name"].(string) + "=" + m["value"].(string) + "\n")
	}
	return b.String()
}

func TestMultiSourceUpdatesAndRevisionMatching(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	app := multiApp("web-prod")
	// The first sync reports an older revision of the chart (as when a source moved on):
	// the step must start again rather than succeed.
	app.Outcome.Revisions = []string{"abc123", "1.0.0"}
	srv.Add(app)
	step := argocdupdate.New(provider(t, srv))
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{
		"name": "web-prod",
		"sources": []any{
			map[string]any{"repoURL": "oci://ghcr.io/example/charts", "chart": "web", "desiredRevision": "1.1.0", "updateTargetRevision": true,
				"helm": map[string]any{"images": []any{
					map[string]any{"key": "image.tag", "value": "v2"},
					map[string]any{"key": "image.repository", "value": "ghcr.io/example/web"},
				}}},
			map[string]any{"repoURL": "https://github.com/example/deploy.git", "desiredRevision": "abc123",
				"kustomize": map[string]any{"images": []any{
					map[string]any{"repoURL": "ghcr.io/example/web", "tag": "v2"},
					map[string]any{"repoURL": "ghcr.io/example/sidecar", "newName": "ghcr.io/mirror/sidecar", "digest": "sha256:0123"},
				}}},
		},
	}}}, nil)

	res, err, _ := runUntilDone(t, step, sc)
	if err != nil {
		t.Fatalf("Run = %v, want success", err)
	}
	puts := srv.Requests("PUT")
	if len(puts) == 0 {
		t.Fatal("no PUT of the spec")
	}
	if got := puts[0].Path; got != "/api/v1/applications/web-prod/spec" {
		t.Errorf("PUT path = %s", got)
	}
	srcs := puts[0].Body["sources"].([]any)
	git, chart := srcs[0].(map[string]any), srcs[1].(map[string]any)
	wantKustomize := map[string]any{"images": []any{"ghcr.io/example/web:v2", "ghcr.io/example/sidecar=ghcr.io/mirror/sidecar@sha256:0123"}, "namePrefix": "prod-"}
	if diff := cmp.Diff(wantKustomize, git["kustomize"]); diff != "" {
		t.Errorf("kustomize in the PUT body (-want +got):\n%s", diff)
	}
	if git["targetRevision"] != "main" {
		t.Errorf("git targetRevision = %v, want main (updateTargetRevision not set)", git["targetRevision"])
	}
	wantHelm := map[string]any{"releaseName": "web", "parameters": []any{
		map[string]any{"name": "image.tag", "value": "v2"},
		map[string]any{"name": "replicas", "value": "2"},
		map[string]any{"name": "image.repository", "value": "ghcr.io/example/web"},
	}}
	if diff := cmp.Diff(wantHelm, chart["helm"]); diff != "" {
		t.Errorf("helm in the PUT body (-want +got):\n%s", diff)
	}
	if chart["targetRevision"] != "1.1.0" {
		t.Errorf("chart targetRevision = %v, want 1.1.0", chart["targetRevision"])
	}

	syncs := srv.Requests("POST")
	if len(syncs) != 2 {
		t.Fatalf("%d syncs, want 2: the first reached the wrong chart revision", len(syncs))
	}
	for _, s := range syncs {
		if diff := cmp.Diff([]any{"abc123", "1.1.0"}, s.Body["revisions"]); diff != "" {
			t.Errorf("sync revisions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]any{1.0, 2.0}, s.Body["sourcePositions"]); diff != "" {
			t.Errorf("sync sourcePositions (-want +got):\n%s", diff)
		}
	}
	check := res.Outputs["healthCheck"].(map[string]any)["config"].(map[string]any)["apps"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]string{"abc123", "1.1.0"}, check["desiredRevisions"]); diff != "" {
		t.Errorf("desiredRevisions by source position (-want +got):\n%s", diff)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name    string
		app     func() *argocdtest.App
		config  map[string]any
		token   string
		reason  string
		message []string
		noWrite bool
	}{
		{
			name: "sync failed",
			app: func() *argocdtest.App {
				a := gitApp("web-prod")
				a.Outcome = argocdtest.Outcome{Phase: argocd.OperationFailed, Message: "one or more objects failed to apply: Deployment.apps \"web\" is invalid"}
				return a
			},
			config:  map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}},
			reason:  argocdupdate.ReasonSyncFailed,
			message: []string{"argocd/web-prod ended Failed", "failed to apply"},
		},
		{
			name:    "bad token",
			app:     func() *argocdtest.App { return gitApp("web-prod") },
			config:  map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}},
			token:   "wrong-token-value",
			reason:  argocdupdate.ReasonUnauthorized,
			message: []string{"HTTP 401", "rejected the token", "token signature is invalid"},
			noWrite: true,
		},
		{
			name:    "app not found",
			app:     func() *argocdtest.App { return gitApp("web-prod") },
			config:  map[string]any{"apps": []any{map[string]any{"name": "web-qa"}}},
			reason:  argocdupdate.ReasonNotFound,
			message: []string{"Argo CD Application argocd/web-qa", "not found"},
			noWrite: true,
		},
		{
			name: "stage not authorized",
			app: func() *argocdtest.App {
				a := gitApp("web-prod")
				a.Annotations = map[string]string{argocdupdate.AnnotationAuthorizedStage: "kargo-demo:*"}
				return a
			},
			config:  map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}},
			reason:  argocdupdate.ReasonNotAuthorized,
			message: []string{"not authorized for Stage kargo-demo:prod"},
			noWrite: true,
		},
		{
			name: "no matching source",
			app:  func() *argocdtest.App { return gitApp("web-prod") },
			config: map[string]any{"apps": []any{map[string]any{"name": "web-prod", "sources": []any{
				map[string]any{"repoURL": "https://github.com/example/other.git", "desiredRevision": "x"},
			}}}},
			reason:  argocdupdate.ReasonNoSource,
			message: []string{`no source with repoURL "https://github.com/example/other.git"`},
			noWrite: true,
		},
		{
			name: "selector matches nothing",
			app:  func() *argocdtest.App { return gitApp("web-prod") },
			config: map[string]any{"apps": []any{map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"team": "nobody"}},
			}}},
			reason:  argocdupdate.ReasonNotFound,
			message: []string{`selector "team=nobody" matches no Argo CD Application`},
			noWrite: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := argocdtest.NewServer(t, token)
			srv.Add(tt.app())
			cfg := srv.Config()
			if tt.token != "" {
				cfg.Token = tt.token
			}
			step := argocdupdate.New(argocd.NewProvider(cfg, nil))
			sc := steptest.NewContext(t, tt.config, nil)
			_, err, _ := runUntilDone(t, step, sc)
			o := steps.Classify(steps.Result{}, err)
			if o.Status != "Errored" || o.Reason != tt.reason {
				t.Fatalf("outcome = %+v, want Errored with reason %s", o, tt.reason)
			}
			for _, m := range tt.message {
				if !strings.Contains(o.Message, m) {
					t.Errorf("message %q does not say %q", o.Message, m)
				}
			}
			for _, secret := range []string{token, "wrong-token-value"} {
				if strings.Contains(o.Message, secret) {
					t.Errorf("message %q shows the token", o.Message)
				}
			}
			if tt.noWrite && len(srv.Requests("PUT"))+len(srv.Requests("POST")) > 0 {
				t.Errorf("the step changed the Application although it failed before any change")
			}
		})
	}
}

func TestWaitsForAnotherOperation(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	srv.Add(gitApp("web-prod"))
	srv.Update("argocd", "web-prod", func(a *argocdtest.App) {
		a.Status.OperationState = &argocd.OperationState{Phase: argocd.OperationRunning,
			Operation: argocd.Operation{Info: []argocd.Info{{Name: argocdupdate.InfoPromotion, Value: "prod.other"}}}}
	})
	step := argocdupdate.New(provider(t, srv))
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}}, nil)
	res, err := steptest.Run(t, step, sc)
	if o := steps.Classify(res, err); o.Status != "Running" || !strings.Contains(o.Message, "not started by this Promotion") {
		t.Errorf("outcome = %+v, want Running while another operation runs", o)
	}
	if n := len(srv.Requests("POST")); n != 0 {
		t.Errorf("%d syncs started while another operation ran", n)
	}
}

func TestSelector(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	for _, n := range []string{"web-a", "web-b", "api"} {
		a := gitApp(n)
		a.Labels = map[string]string{"team": "web", "tier": strings.TrimPrefix(n, "web-")}
		if n == "api" {
			a.Labels["team"] = "api"
		}
		srv.Add(a)
	}
	step := argocdupdate.New(provider(t, srv))
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"team": "web"},
			"matchExpressions": []any{map[string]any{"key": "tier", "operator": "NotIn", "values": []any{"b"}}}},
	}}}, nil)
	res, err, _ := runUntilDone(t, step, sc)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := []any{map[string]any{"name": "web-a", "namespace": "argocd"}}
	if diff := cmp.Diff(want, res.Outputs["apps"]); diff != "" {
		t.Errorf("apps output (-want +got):\n%s", diff)
	}
}

func TestHealthDegraded(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	a := gitApp("web-prod")
	a.Outcome.Health = []string{argocd.HealthProgressing, argocd.HealthDegraded}
	srv.Add(a)
	step := argocdupdate.New(provider(t, srv))
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}}, nil)
	res, err, _ := runUntilDone(t, step, sc)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	cfg, _ := argocdupdate.DecodeHealthConfig(res.Outputs["healthCheck"].(map[string]any)["config"].(map[string]any))
	c, _ := provider(t, srv).Client(t.Context(), "kargo-demo")
	var status string
	var issues []string
	for range 3 {
		status, issues, _ = argocdupdate.CheckHealth(t.Context(), c, cfg)
	}
	if status != v1.HealthUnhealthy || len(issues) != 1 || !strings.Contains(issues[0], `health status "Degraded"`) {
		t.Errorf("CheckHealth = %s %q, want Unhealthy for a Degraded app", status, issues)
	}

	// A missing app is Unknown.
	status, issues, _ = argocdupdate.CheckHealth(t.Context(), c, argocdupdate.HealthConfig{Apps: []argocdupdate.HealthApp{{Name: "gone"}}})
	if status != v1.HealthUnknown || !strings.Contains(issues[0], "not found") {
		t.Errorf("CheckHealth(missing app) = %s %q, want Unknown", status, issues)
	}
}

func TestRevisionMismatchIsUnhealthy(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	srv.Add(gitApp("web-prod"))
	srv.Update("argocd", "web-prod", func(a *argocdtest.App) { a.Status.Sync.Revision = "old" })
	c, _ := provider(t, srv).Client(t.Context(), "kargo-demo")
	status, issues, _ := argocdupdate.CheckHealth(t.Context(), c, argocdupdate.HealthConfig{Apps: []argocdupdate.HealthApp{
		{Name: "web-prod", DesiredRevisions: []string{"abc123"}},
	}})
	if status != v1.HealthUnhealthy || !strings.Contains(issues[0], `synced to revision "old", not the desired "abc123"`) {
		t.Errorf("CheckHealth = %s %q, want Unhealthy naming both revisions", status, issues)
	}
}

func TestStopsWithContext(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	srv.Add(gitApp("web-prod"))
	step := argocdupdate.New(provider(t, srv))
	sc := steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := steps.ValidateConfig(sc, argocdupdate.Name); err != nil {
		t.Fatal(err)
	}
	_, err := step.Run(ctx, sc)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled) = %v, want context.Canceled", err)
	}
}

func TestInvalidConfig(t *testing.T) {
	step := argocdupdate.New(argocd.NewProvider(argocd.Config{}, nil))
	for _, cfg := range []map[string]any{
		{"apps": []any{map[string]any{"name": "a", "bogus": 1}}},
		{"apps": []any{map[string]any{"name": "a", "selector": map[string]any{"matchLabels": map[string]any{"x": "y"}}}}},
		{"apps": []any{map[string]any{"name": "a", "sources": []any{map[string]any{"repoURL": "r", "updateTargetRevision": true}}}}},
		{"apps": []any{}},
	} {
		_, err := steptest.Run(t, step, steptest.NewContext(t, cfg, nil))
		if !errors.Is(err, steps.ErrInvalidConfig) || !steps.IsTerminal(err) {
			t.Errorf("Run(%v) = %v, want a terminal ErrInvalidConfig", cfg, err)
		}
	}
}

func TestNotConfigured(t *testing.T) {
	step := argocdupdate.New(argocd.NewProvider(argocd.Config{}, nil))
	_, err := steptest.Run(t, step, steptest.NewContext(t, map[string]any{"apps": []any{map[string]any{"name": "a"}}}, nil))
	if !errors.Is(err, argocd.ErrNotConfigured) {
		t.Errorf("Run without a server = %v, want ErrNotConfigured", err)
	}
}

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, argocdupdate.Name, argocdupdate.Config{})
}

func TestInfo(t *testing.T) {
	info := argocdupdate.New(nil).Info()
	if info.Name != "argocd-update" || info.Executor != "argocd" || !info.ReadOnly || info.DefaultTimeout.Minutes() != 5 {
		t.Errorf("Info() = %+v", info)
	}
	if e, _ := steps.ExecutorFor(info.Name); e != info.Executor {
		t.Errorf("ExecutorFor(%s) = %s, want %s", info.Name, e, info.Executor)
	}
}

// TestDefaultTimeout: with no retry.timeout, a sync that never gets its turn (another
// operation runs on) ends the step Errored after argocd-update's default 5m, as Kargo's does.
func TestDefaultTimeout(t *testing.T) {
	srv := argocdtest.NewServer(t, token)
	srv.Add(gitApp("web-prod"))
	srv.Update("argocd", "web-prod", func(a *argocdtest.App) {
		a.Status.OperationState = &argocd.OperationState{Phase: argocd.OperationRunning,
			Operation: argocd.Operation{Info: []argocd.Info{{Name: argocdupdate.InfoPromotion, Value: "prod.other"}}}}
	})

	p := steptest.Drive(t, argocdupdate.New(provider(t, srv)), map[string]any{"apps": []any{map[string]any{"name": "web-prod"}}})

	m := p.Status.StepExecutionMetadata[0]
	if p.Status.Phase != v1.PhaseErrored || m.Message != `step "step" timed out after 5m0s` {
		t.Errorf("Promotion = %s, step %s %q; want Errored, the step timed out after 5m0s", p.Status.Phase, m.Status, m.Message)
	}
	if n := len(srv.Requests("POST")); n != 0 {
		t.Errorf("%d syncs started while another operation ran", n)
	}
}
