package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/manifest"
)

const pipelineManifests = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata: {name: shop}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: shop, namespace: shop}
spec:
  promotionPolicies:
  - stageSelector: {name: "regex:^(dev|staging)$"}
    autoPromotionEnabled: true
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: web, namespace: shop}
spec:
  interval: 1h
  subscriptions:
  - image: {repoURL: IMAGE, imageSelectionStrategy: SemVer}
---
STAGE dev
    sources: {direct: true}
---
STAGE staging
    sources: {stages: [dev]}
---
STAGE prod
    sources: {stages: [staging]}
`

const pipelineStage = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: NAME, namespace: shop}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
SOURCES
  promotionTemplate:
    spec:
      steps:
      - uses: git-clone
        as: clone
        config: {repoURL: REPO, checkout: [{branch: main, path: ./src}]}
      - uses: yaml-update
        as: update
        config:
          path: ./src/env/NAME/values.yaml
          updates: [{key: image.tag, value: "${{ imageFrom('IMAGE').Tag }}"}]
      - uses: git-commit
        as: commit
        config: {path: ./src, message: "${{ outputs.update.commitMessage }}"}
      - uses: git-push
        as: push
        config: {path: ./src}
`

// TestPipeline: a three-Stage pipeline on real servers (embedded NATS, an OCI registry and a
// Git server on loopback, every service of dray up). dev takes Freight straight from the
// Warehouse and staging from dev, both auto-promoting; prod takes it from staging by hand.
// Pushing a new image tag promotes dev and then staging with no hand; prod waits, and one
// approve-and-promote finishes it. The event stream tells the whole story in order.
func TestPipeline(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	image := strings.TrimPrefix(reg.URL, "http://") + "/shop/web"
	pushImage(t, image+":v1.0.0")

	git := gittest.NewServer(t)
	repo := git.Repo(t, "config", map[string]string{
		"env/dev/values.yaml":     "image:\n  tag: v0.0.0\n",
		"env/staging/values.yaml": "image:\n  tag: v0.0.0\n",
		"env/prod/values.yaml":    "image:\n  tag: v0.0.0\n",
	})
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor: executor.Options{CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Stop)
	c := client.New(in.URL, client.WithToken(in.AdminToken))
	apply(t, c, strings.NewReplacer("IMAGE", image, "REPO", repo).Replace(expandStages(pipelineManifests)))

	// The first discovery makes v1.0.0 a Freight, which flows to dev and then staging.
	first := waitStageFreight(t, c, "staging", func(f *v1.Freight) bool { return imageTag(f) == "v1.0.0" })

	// A new tag, and a refresh as a registry webhook would ask for it.
	pushImage(t, image+":v1.1.0")
	if _, err := c.Refresh(t.Context(), &v1.RefreshCommand{Project: "shop", Warehouse: "web"}); err != nil {
		t.Fatal(err)
	}
	second := waitStageFreight(t, c, "staging", func(f *v1.Freight) bool { return imageTag(f) == "v1.1.0" })
	if got := git.ReadFile(t, "config", "main", "env/staging/values.yaml"); !strings.Contains(got, "tag: v1.1.0") {
		t.Errorf("staging values.yaml = %q, want tag v1.1.0", got)
	}

	// prod promotes nothing by itself.
	prod, err := c.Stage(t.Context(), "shop", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if prod.Status.LastPromotion != nil || prod.Status.CurrentPromotion != nil {
		t.Fatalf("prod was promoted without a hand: %+v", prod.Status)
	}

	// One approve-and-promote finishes it.
	if err := c.Approve(t.Context(), &v1.ApproveCommand{Project: "shop", Freight: second.Alias, Stage: "prod",
		Actor: "email:lead@example.com", Reason: "release 1.1"}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Promote(t.Context(), &v1.PromoteCommand{Project: "shop", Stage: "prod", Freight: second.Alias, Actor: "email:lead@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	p, err := c.WaitPromotion(ctx, "shop", resp.Promotion, nil)
	if err != nil || p.Status.Phase != v1.PhaseSucceeded {
		t.Fatalf("prod promotion: %v %v", p, err)
	}
	if got := git.ReadFile(t, "config", "main", "env/prod/values.yaml"); !strings.Contains(got, "tag: v1.1.0") {
		t.Errorf("prod values.yaml = %q, want tag v1.1.0", got)
	}
	f := waitFreight(t, c, second.Metadata.Name, func(f *v1.Freight) bool { _, ok := f.Status.VerifiedIn["prod"]; return ok })
	// The approver is the token that asked (dray up's admin), never the body's actor.
	if a := f.Status.ApprovedFor["prod"]; a.By != "token:admin" || a.Reason != "release 1.1" || a.ApprovedAt == nil {
		t.Errorf("approval recorded as %+v, want who (token:admin), when and why", a)
	}
	if _, in := f.Status.CurrentlyIn["staging"]; !in {
		t.Errorf("Freight %s not currentlyIn staging: %+v", second.Alias, f.Status.CurrentlyIn)
	}
	old := waitFreight(t, c, first.Metadata.Name, func(*v1.Freight) bool { return true })
	if _, in := old.Status.CurrentlyIn["staging"]; in {
		t.Errorf("the replaced Freight %s is still currentlyIn staging", first.Alias)
	}

	// The event stream of the second Freight, in order.
	promoted := func(stage string) []string {
		steps := slices.Repeat([]string{"promotion.step.finished " + stage}, 4)
		return slices.Concat([]string{"promotion.created " + stage, "promotion.started " + stage}, steps,
			[]string{"promotion.succeeded " + stage, "freight.verified " + stage})
	}
	want := slices.Concat([]string{"freight.created"}, promoted("dev"), promoted("staging"),
		[]string{"freight.approved prod"}, promoted("prod"))
	got := story(t, in, second.Metadata.Name)
	if !slices.Equal(got, want) {
		t.Errorf("events of Freight %s:\n got %q\nwant %q", second.Alias, got, want)
	}
	// Stage history says which Freight each Stage had, and who brought it.
	st, err := c.Stage(t.Context(), "shop", "staging")
	if err != nil {
		t.Fatal(err)
	}
	if h := st.Status.FreightHistory; len(h) != 2 || h[0].Freight != second.Metadata.Name || h[1].Freight != first.Metadata.Name || h[0].Actor != "auto-promotion" {
		t.Errorf("staging history = %+v, want the two Freight, newest first, auto-promoted", h)
	}
}

// expandStages replaces each "STAGE name" header and its sources line with a whole Stage.
func expandStages(s string) string {
	var out []string
	for _, doc := range strings.Split(s, "---\n") {
		if name, sources, ok := strings.Cut(strings.TrimPrefix(doc, "STAGE "), "\n"); ok && strings.HasPrefix(doc, "STAGE ") {
			doc = strings.NewReplacer("NAME", name, "SOURCES\n", sources).Replace(pipelineStage)
		}
		out = append(out, doc)
	}
	return strings.Join(out, "---\n")
}

func apply(t *testing.T, c *client.Client, manifests string) {
	t.Helper()
	objs, err := manifest.Decode("pipeline.yaml", []byte(manifests))
	if err != nil {
		t.Fatal(err)
	}
	var raw []json.RawMessage
	for _, o := range objs {
		raw = append(raw, o.JSON)
	}
	if _, err := c.Apply(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
}

func pushImage(t *testing.T, ref string) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func imageTag(f *v1.Freight) string {
	if len(f.Images) == 0 {
		return ""
	}
	return f.Images[0].Tag
}

// waitStageFreight waits until the Stage's last promotion succeeded with a Freight that ok
// accepts, and returns that Freight.
func waitStageFreight(t *testing.T, c *client.Client, stage string, ok func(*v1.Freight) bool) *v1.Freight {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st, err := c.Stage(t.Context(), "shop", stage)
		if err == nil && st.Status.LastPromotion != nil && st.Status.LastPromotion.Phase == v1.PhaseSucceeded {
			if f := findFreight(t, c, st.Status.LastPromotion.Freight); f != nil && ok(f) {
				return f
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, _ := c.Stage(t.Context(), "shop", stage)
	t.Fatalf("Stage %s never received the awaited Freight; status %+v", stage, st.Status)
	return nil
}

func waitFreight(t *testing.T, c *client.Client, name string, ok func(*v1.Freight) bool) *v1.Freight {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if f := findFreight(t, c, name); f != nil && ok(f) {
			return f
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Freight %s never reached the awaited state: %+v", name, findFreight(t, c, name))
	return nil
}

func findFreight(t *testing.T, c *client.Client, name string) *v1.Freight {
	t.Helper()
	all, err := c.Freight(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		if all[i].Metadata.Name == name {
			return &all[i]
		}
	}
	return nil
}

// story lists the events about one Freight, as "type [stage]" without the dev.dray. prefix.
func story(t *testing.T, in *allinone.Instance, freight string) []string {
	t.Helper()
	nc, err := in.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b, err := bus.New(t.Context(), nc, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events(t, b, "shop") {
		var d struct{ Freight, Stage string }
		if json.Unmarshal(e.Data, &d) != nil || d.Freight != freight {
			continue
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s", strings.TrimPrefix(e.Type, v1.EventTypePrefix), d.Stage)))
	}
	return out
}
