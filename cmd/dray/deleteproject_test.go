package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gittest"
)

// gate is a Stage whose Promotions clone a repository (a workspace revision) and then wait
// for a person's approval: Running until someone approves.
const gate = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: gate
  namespace: shop
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
      - uses: git-clone
        as: clone
        config:
          repoURL: REPO
          checkout: [{branch: main, path: ./src}]
      - uses: wait-for-approval
        as: sign-off
        config: {approvers: {roles: [admin]}, message: hold on}
`

// shopSecret is a Secret whose value must never be printed.
const shopSecret = `apiVersion: v1
kind: Secret
metadata: {name: git-creds, namespace: shop}
stringData: {password: hunter2-sekret}
`

// asToken runs the CLI with a token of its own and returns what it printed.
func asToken(t *testing.T, server, tok string, args ...string) (string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	root := newRoot()
	root.SetArgs(append([]string{"--server", server, "--token-file", file}, args...))
	root.SetOut(&buf)
	root.SetErr(&buf)
	err := root.ExecuteContext(t.Context())
	return buf.String(), err
}

// TestDeleteProject: dray delete project deletes a Project with everything in it, as Kargo's
// namespace deletion does: a Promotion waiting at a human step is aborted, every Stage,
// Promotion (with its workspace revisions), Warehouse, Freight, Secret, other resource and
// token goes, no key of the project is left in any bucket, and the audit trail
// stays; a developer of the project and the admin of another may not; applying the project
// again starts clean.
func TestDeleteProject(t *testing.T) {
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor: executor.Options{CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("dray up: %v", err)
	}
	t.Cleanup(in.Stop)
	adminTokens.Store(in.URL, in.AdminToken)
	server := in.URL
	c := adminClient(server)
	git := gittest.NewServer(t)
	repo := git.Repo(t, "shop-config", map[string]string{"values.yaml": "image:\n  tag: v1.0.0\n"})
	nc, err := in.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b, err := bus.New(t.Context(), nc, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "dev.yaml": quick, "gate.yaml": strings.Replace(gate, "REPO", repo, 1),
		"freight.yaml": freight, "other.yaml": otherFreight, "secret.yaml": shopSecret,
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: b}\n",
	})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err := drayIn(t, server, "apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: elsewhere}\n", "apply", "-f", "-"); err != nil {
		t.Fatalf("apply elsewhere: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "-p", "shop", "promote", "--stage", "dev", "--freight", "quiet-lynx", "--wait"); err != nil {
		t.Fatalf("promote dev: %v\n%s", err, out)
	}
	res, err := c.Promote(t.Context(), &v1.PromoteCommand{Project: "shop", Stage: "gate", Freight: "loud-heron"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, func() (string, bool) {
		p, err := c.Promotion(t.Context(), "shop", res.Promotion)
		return "waiting for gate's Promotion to wait at its human step", err == nil && p.Status.Phase == v1.PhaseRunning
	})
	eventually(t, func() (string, bool) {
		objs, err := b.Workspaces.List(t.Context())
		return "waiting for gate's clone to be stored as a workspace revision", err == nil && len(objs) > 0
	})
	// Follow the waiting Promotion: it must end Aborted, as a deleted Stage's does.
	ended := make(chan *v1.Promotion, 1)
	go func() {
		p, _ := c.FollowPromotion(t.Context(), "shop", res.Promotion, nil)
		ended <- p
	}()
	tokens := map[string]string{}
	for _, tk := range []struct{ project, name, role string }{{"shop", "dev-token", "developer"}, {"elsewhere", "boss", "admin"}} {
		got, err := c.CreateToken(t.Context(), tk.project, &v1.CreateTokenRequest{Name: tk.name, Role: tk.role})
		if err != nil {
			t.Fatal(err)
		}
		tokens[tk.name] = got.Token
	}
	for who, tok := range tokens {
		if out, err := asToken(t, server, tok, "delete", "project", "shop"); err == nil || !strings.Contains(err.Error(), "may not delete projects/shop") {
			t.Errorf("dray delete project shop as %s = %v\n%s\nwant it refused", who, err, out)
		}
	}
	if _, err := c.Stage(t.Context(), "shop", "dev"); err != nil {
		t.Fatalf("dev after refused deletes: %v, want it kept", err)
	}

	var promotions []string
	ps, err := c.Promotions(t.Context(), "shop")
	if err != nil || len(ps) != 2 {
		t.Fatalf("promotions of shop = %d, %v; want dev's and gate's", len(ps), err)
	}
	for _, p := range ps {
		promotions = append(promotions, p.Metadata.Name)
	}

	out, err := dray(t, server, "delete", "project", "shop")
	if err != nil || out != "project.kargo.akuity.io \"shop\" deleted\n" {
		t.Fatalf("dray delete project shop = %v\n%q", err, out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("dray delete project printed a Secret's value:\n%s", out)
	}
	select {
	case p := <-ended:
		if p == nil || p.Status.Phase != v1.PhaseAborted {
			t.Errorf("gate's waiting Promotion ended %+v, want Aborted", p)
		}
	case <-t.Context().Done():
		t.Fatal("gate's waiting Promotion never ended")
	}
	eventually(t, func() (string, bool) {
		ps, err := c.Promotions(t.Context(), "shop")
		return "waiting for the project's Promotions to go", err == nil && len(ps) == 0
	})
	stages, err := c.Stages(t.Context(), "shop")
	if err != nil || len(stages) != 0 {
		t.Errorf("stages of the deleted project = %v, %v; want none", stages, err)
	}
	whs, err := c.Warehouses(t.Context(), "shop")
	if err != nil || len(whs) != 0 {
		t.Errorf("warehouses of the deleted project = %v, %v; want none", whs, err)
	}
	fs, err := c.Freight(t.Context(), "shop")
	if err != nil || len(fs) != 0 {
		t.Errorf("freight of the deleted project = %v, %v; want none", fs, err)
	}
	secrets, err := c.Secrets(t.Context(), "shop")
	if err != nil || len(secrets) != 0 {
		t.Errorf("secrets of the deleted project = %v, %v; want none", secrets, err)
	}
	toks, err := c.Tokens(t.Context(), "shop")
	if err != nil || len(toks) != 0 {
		t.Errorf("tokens of the deleted project = %v, %v; want none", toks, err)
	}
	// Nothing of shop is left on the bus: no key in any bucket, no workspace revision of its
	// Promotions.
	for _, kv := range []jetstream.KeyValue{b.Resources, b.Stages, b.Promotions, b.Freight, b.Warehouses, b.Secrets, b.Tokens} {
		l, err := kv.ListKeysFiltered(t.Context(), "shop.>", "_alias.shop.>")
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for k := range l.Keys() {
			t.Errorf("%s still holds %s after the project was deleted", kv.Bucket(), k)
		}
	}
	for _, name := range promotions {
		objs, err := b.Workspaces.List(t.Context())
		if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
			t.Fatal(err)
		}
		for _, o := range objs {
			if strings.HasPrefix(o.Name, name+"/") {
				t.Errorf("workspace revision %s of a deleted Promotion is still stored", o.Name)
			}
		}
	}
	projects, err := c.Projects(t.Context())
	if err != nil || slices.Contains(projects, "shop") || !slices.Contains(projects, "elsewhere") {
		t.Errorf("projects = %v, %v; want elsewhere and not shop", projects, err)
	}
	audit, err := c.Audit(t.Context(), "shop", url.Values{})
	if err != nil || !slices.ContainsFunc(audit.Records, func(r v1.AuditRecord) bool {
		return r.Verb == "delete" && r.Resource == "projects" && r.Name == "shop" && r.Result == v1.AuditAllowed
	}) || !slices.ContainsFunc(audit.Records, func(r v1.AuditRecord) bool { return r.Verb == "apply" }) {
		t.Errorf("audit trail of the deleted project = %+v, %v; want its applies and its deletion kept", audit.Records, err)
	}
	if out, err := dray(t, server, "delete", "project", "shop"); err == nil || !strings.Contains(err.Error(), `project.kargo.akuity.io "shop" not found`) {
		t.Errorf("dray delete project shop (gone) = %v\n%s\nwant not found", err, out)
	}
	if out, err := dray(t, server, "delete", "project", "shop", "--ignore-not-found"); err != nil || out != "" {
		t.Errorf("dray delete project shop --ignore-not-found = %v\n%q", err, out)
	}

	// Applied again, the project starts clean: no Freight, and fresh Stage status.
	if out, err := dray(t, server, "apply", "-f", writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "dev.yaml": quick})); err != nil {
		t.Fatalf("apply shop again: %v\n%s", err, out)
	}
	s, err := c.Stage(t.Context(), "shop", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Status.FreightHistory) != 0 || s.Status.LastPromotion != nil {
		t.Errorf("status of dev in shop applied again = %+v, want a fresh one", s.Status)
	}
	if fs, err := c.Freight(t.Context(), "shop"); err != nil || len(fs) != 0 {
		t.Errorf("freight of shop applied again = %v, %v; want none", fs, err)
	}

	// dray delete -f of a manifest with the Project and what is in it deletes the Project
	// last, so the others are not reported missing.
	out, err = drayIn(t, server, project+"---\n"+web+"---\n"+quick, "delete", "-f", "-")
	want := "warehouse.kargo.akuity.io \"web\" deleted\nstage.kargo.akuity.io \"dev\" deleted\nproject.kargo.akuity.io \"shop\" deleted\n"
	if err != nil || out != want {
		t.Errorf("dray delete -f - (shop, web, dev) = %v\n%q\nwant %q", err, out, want)
	}
}
