package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
	"github.com/drayhq/dray/pkg/steps/gitpush"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	executorgit "github.com/drayhq/dray/services/executor-git"
	"github.com/drayhq/dray/services/scheduler"
	"github.com/drayhq/dray/services/state"
)

const project = "demo"

const valuesYAML = `# dev values
image:
  repository: ghcr.io/example/app
  tag: v1.0.0 # the first release
replicas: 2
`

// pipeline stores a four-step dev Stage that updates image.tag in repoURL, and a Freight
// with image tag v1.2.0; it returns the Freight's name.
func pipeline(t *testing.T, b *bus.Bus, repoURL string) string {
	t.Helper()
	putResource(t, b, "", v1.KindProject, project, v1.Project{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProject}, Metadata: v1.ObjectMeta{Name: project},
	})
	stage := v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: project},
		Spec: v1.StageSpec{
			Vars: []v1.ExpressionVariable{{Name: "repo", Value: repoURL}},
			RequestedFreight: []v1.FreightRequest{{
				Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Sources: v1.FreightSources{Direct: true},
			}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
				{Uses: "git-clone", As: "clone", Config: map[string]any{
					"repoURL": "${{ vars.repo }}", "checkout": []any{map[string]any{"branch": "main", "path": "./src"}},
				}},
				{Uses: "yaml-update", As: "update", Config: map[string]any{
					"path":    "./src/env/dev/values.yaml",
					"updates": []any{map[string]any{"key": "image.tag", "value": "${{ imageFrom('ghcr.io/example/app').Tag }}"}},
				}},
				{Uses: "git-commit", As: "commit", Config: map[string]any{
					"path": "./src", "message": "${{ outputs.update.commitMessage }}",
				}},
				{Uses: "git-push", As: "push", Config: map[string]any{"path": "./src"}},
			}}},
		},
	}
	putResource(t, b, project, v1.KindStage, "dev", stage)
	return putFreight(t, b, project, &v1.Freight{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindFreight},
		Alias:    "brave-otter",
		Origin:   v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images:   []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1.2.0", Digest: "sha256:" + strings.Repeat("ab", 32)}},
	})
}

// startControlPlane starts the state service, the scheduler and the config executor, each as
// its own process would be.
func startControlPlane(t *testing.T, ns *bustest.Server) {
	startService(t, ns, "state", func(ctx context.Context, d service.Deps) error { return state.Run(ctx, state.Options{}, d) })
	startService(t, ns, "scheduler", func(ctx context.Context, d service.Deps) error {
		return scheduler.Run(ctx, scheduler.Options{}, d)
	})
	cfgOpts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-config", func(ctx context.Context, d service.Deps) error {
		return executorconfig.Run(ctx, cfgOpts, d)
	})
}

// wantEvents is the story of one four-step promotion, each event once: the Stage has no
// verification, so its Freight is verified there as the promotion succeeds.
var wantEvents = map[string]int{
	v1.TypePromotionCreated: 1, v1.TypePromotionStarted: 1,
	v1.TypePromotionStepFinished: 4, v1.TypePromotionSucceeded: 1,
	v1.TypeFreightVerified: 1,
}

// publishPromote publishes a promote command as any NATS client would: plain JSON, core NATS.
func publishPromote(t *testing.T, ns *bustest.Server, stage, freight string) {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	body := `{"stage":"` + stage + `","freight":"` + freight + `","actor":"email:ops@example.com"}`
	if err := nc.Publish(bus.CommandSubject(project, "promote"), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// checkPromotion asserts four succeeded steps, the pushed commit and the file on the remote.
func checkPromotion(t *testing.T, git *gittest.Server, p *v1.Promotion) {
	t.Helper()
	if p.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("promotion phase = %s (%s), want Succeeded", p.Status.Phase, p.Status.Message)
	}
	var got []string
	for _, m := range p.Status.StepExecutionMetadata {
		got = append(got, m.Alias+"="+m.Status)
		if m.StartedAt == nil || m.FinishedAt == nil {
			t.Errorf("step %s has no timing: started %v finished %v", m.Alias, m.StartedAt, m.FinishedAt)
		}
	}
	want := []string{"clone=Succeeded", "update=Succeeded", "commit=Succeeded", "push=Succeeded"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s", diff)
	}
	log := git.Log(t, "config", "main")
	if len(log) != 2 {
		t.Fatalf("remote main has %d commits, want 2 (the initial one and the promotion's)", len(log))
	}
	if pushed := p.Status.State["push"]["commit"]; pushed != log[0] {
		t.Errorf("git-push output commit = %v, want remote head %s", pushed, log[0])
	}
	values := git.ReadFile(t, "config", "main", "env/dev/values.yaml")
	if !strings.Contains(values, "  tag: v1.2.0 # the first release\n") || !strings.Contains(values, "# dev values") { // the trailing comment is kept
		t.Errorf("pushed values.yaml does not hold the new tag with its comments kept:\n%s", values)
	}
}

// TestPromoteMessage: a promote command published on NATS by any client leads to a pushed
// commit holding the new tag, through the scheduler, two executors and the state service,
// each on its own connection.
func TestPromoteMessage(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	git := gittest.NewServer(t)
	freightName := pipeline(t, b, git.Repo(t, "config", map[string]string{"env/dev/values.yaml": valuesYAML}))

	startControlPlane(t, ns)
	opts := executor.Options{CacheDir: t.TempDir()}
	startService(t, ns, "executor-git", func(ctx context.Context, d service.Deps) error {
		return executorgit.Run(ctx, executorgit.Options{Options: opts}, d)
	})

	publishPromote(t, ns, "dev", freightName)
	p := waitFinished(t, b, project, 60*time.Second)
	checkPromotion(t, git, p)

	waitVerified(t, b, p.Spec.Freight, p.Spec.Stage) // announced after the promotion's end
	counts := countTypes(t, events(t, b, project))
	if diff := cmp.Diff(wantEvents, counts); diff != "" {
		t.Errorf("events by type (-want +got):\n%s", diff)
	}
	if p.Metadata.Annotations[v1.AnnotationCreateActor] != "email:ops@example.com" {
		t.Errorf("create-actor = %q, want the command's actor", p.Metadata.Annotations[v1.AnnotationCreateActor])
	}
}

// gate wraps a step: the first time, it runs the step and then hangs until its executor is
// stopped, as if the process died after the step's side effect and before its result.
type gate struct {
	steps.Step
	armed   atomic.Bool
	reached chan struct{}
	once    sync.Once
}

func (g *gate) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	res, err := g.Step.Run(ctx, sc)
	if g.armed.Load() {
		g.once.Do(func() { close(g.reached) })
		<-ctx.Done()
		return steps.Result{}, ctx.Err()
	}
	return res, err
}

// TestExecutorCrashMidStep stops the git executor in the middle of git-push — after the push
// reached the remote, before the result was published — and starts another: the promotion
// still succeeds, exactly one commit is pushed, and no event is missing or doubled.
func TestExecutorCrashMidStep(t *testing.T) {
	ns := bustest.Start(t)
	b := ns.Connect(t)
	git := gittest.NewServer(t)
	freightName := pipeline(t, b, git.Repo(t, "config", map[string]string{"env/dev/values.yaml": valuesYAML}))
	startControlPlane(t, ns)

	push := &gate{Step: gitpush.New(), reached: make(chan struct{})}
	push.armed.Store(true)
	gitExecutor := func(s steps.Step) func(context.Context, service.Deps) error {
		opts := executor.Options{CacheDir: t.TempDir(), AckWait: time.Second}
		return func(ctx context.Context, d service.Deps) error {
			reg, err := steps.NewRegistry(gitclone.New(), gitcommit.New(), s)
			if err != nil {
				return err
			}
			return executor.Run(ctx, opts, executor.Deps{Name: "git", Bus: d.Bus, Log: d.Log, Metrics: d.Metrics, Steps: reg})
		}
	}
	stop := startService(t, ns, "executor-git-1", gitExecutor(push))

	publishPromote(t, ns, "dev", freightName)
	select {
	case <-push.reached:
	case <-time.After(60 * time.Second):
		t.Fatal("git-push never ran")
	}
	if got := len(git.Log(t, "config", "main")); got != 2 {
		t.Fatalf("before the crash the remote has %d commits, want 2 (the push happened)", got)
	}
	stop()
	push.armed.Store(false)
	startService(t, ns, "executor-git-2", gitExecutor(gitpush.New()))

	p := waitFinished(t, b, project, 60*time.Second)
	checkPromotion(t, git, p)
	if m := p.Status.StepExecutionMetadata[3]; !strings.Contains(m.Executor, "git/") {
		t.Errorf("push recorded from %q, want a git executor", m.Executor)
	}
	waitVerified(t, b, p.Spec.Freight, p.Spec.Stage) // announced after the promotion's end
	counts := countTypes(t, events(t, b, project))
	if diff := cmp.Diff(wantEvents, counts); diff != "" {
		t.Errorf("events by type (-want +got):\n%s", diff)
	}
}

// waitVerified waits until freight is verified in stage: the state service records and
// announces it after the Promotion's own end.
func waitVerified(t *testing.T, b *bus.Bus, freight, stage string) {
	t.Helper()
	waitFor(t, "Freight "+freight+" to be verified in "+stage, func() bool {
		for _, e := range events(t, b, project) {
			var d v1.FreightEvent
			if e.Type == v1.TypeFreightVerified && json.Unmarshal(e.Data, &d) == nil && d.Freight == freight && d.Stage == stage {
				return true
			}
		}
		return false
	})
}
