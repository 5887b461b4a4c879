package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gitprovider/gitprovidertest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/store"
	executorgit "github.com/drayhq/dray/services/executor-git"

	"context"
)

// TestPullRequestWebhookWakesWait: a git-wait-for-pr step that polls once an hour finishes as
// soon as the provider's webhook says its pull request was merged.
func TestPullRequestWebhookWakesWait(t *testing.T) {
	d := startHookDray(t)
	startControlPlane(t, d.ns)
	opts := executor.Options{CacheDir: t.TempDir()}
	startService(t, d.ns, "executor-git", func(ctx context.Context, deps service.Deps) error {
		return executorgit.Run(ctx, executorgit.Options{Options: opts}, deps)
	})
	gh := gitprovidertest.New(t, "github")
	n := gh.AddPR(gitprovidertest.PR{Head: "feature", Base: "main", Title: "promote", State: "open"})
	hook := d.receiver(t, v1.WebhookReceiver{Name: "gh", GitHub: &v1.WebhookReceiverConfig{SecretRef: v1.LocalObjectReference{Name: "gh-hook"}}},
		"gh-hook", map[string]string{"secret": "hub-secret"})

	putResource(t, d.bus, hookProject, v1.KindStage, "prod", v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: "prod", Namespace: hookProject},
		Spec: v1.StageSpec{RequestedFreight: direct, PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: []v1.PromotionStep{
			{Uses: "git-wait-for-pr", As: "wait", Config: map[string]any{
				"repoURL": gh.RepoURL(), "provider": "github", "prNumber": n, "pollInterval": "1h"}},
		}}}},
	})
	f := putFreight(t, d.bus, hookProject, &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: "v1"}}})
	if err := d.bus.Publish(t.Context(), "dray.cmd."+hookProject+".promote", "promote-1", v1.PromoteCommand{Stage: "prod", Freight: f}); err != nil {
		t.Fatal(err)
	}
	promotions := func() []v1.Promotion {
		ps, err := store.List[v1.Promotion](t.Context(), d.bus, d.bus.Promotions, hookProject+".>")
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	waitFor(t, "the step to wait for the pull request", func() bool {
		ps := promotions()
		return len(ps) == 1 && len(ps[0].Status.StepExecutionMetadata) == 1 && ps[0].Status.StepExecutionMetadata[0].Status == v1.StepRunning
	})

	merge := gh.Merge(n)
	body, _ := json.Marshal(map[string]any{
		"action": "closed", "number": n,
		"pull_request": map[string]any{"number": n, "merged": true},
		"repository":   map[string]any{"clone_url": gh.RepoURL()},
	})
	mac := hmac.New(sha256.New, []byte("hub-secret"))
	mac.Write(body)
	headers := map[string]string{"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}
	if code, _ := post(t, hook, body, headers); code != http.StatusOK {
		t.Fatalf("pull_request webhook: %d, want 200", code)
	}
	waitFor(t, "the promotion to finish after the webhook, not an hour later", func() bool {
		ps := promotions()
		return len(ps) == 1 && ps[0].Status.Phase == v1.PhaseSucceeded
	})
	p := promotions()[0]
	if got := p.Status.State["wait"]["commit"]; got != merge {
		t.Errorf("outputs.wait.commit = %v, want the merge commit %s", got, merge)
	}
	if a := p.Status.StepExecutionMetadata[0].Attempts; a != 2 {
		t.Errorf("attempts = %d, want 2: the first saw it open, the woken one merged", a)
	}
}
