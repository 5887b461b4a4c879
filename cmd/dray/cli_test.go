package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/gittest"
)

// up starts an all-in-one Dray on free ports for one test.
func up(t *testing.T) string {
	t.Helper()
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
	return in.URL
}

// adminTokens holds the admin token of each test's dray up, by URL: the CLI and clients of
// the tests authenticate with it, as a user's would with the token dray up records.
var adminTokens sync.Map

// adminClient is a client of server with its admin token.
func adminClient(server string) *client.Client {
	tok, _ := adminTokens.Load(server)
	s, _ := tok.(string)
	return client.New(server, client.WithToken(s))
}

// dray runs the CLI with args against server and returns what it printed.
func dray(t *testing.T, server string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRoot()
	pre := []string{"--server", server}
	if tok, ok := adminTokens.Load(server); ok {
		file := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(file, []byte(tok.(string)), 0o600); err != nil {
			t.Fatal(err)
		}
		pre = append(pre, "--token-file", file)
	}
	root.SetArgs(append(pre, args...))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

func writeManifests(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const project = `apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: shop
`

// web is the Warehouse the Freight and the Stage name (apply refuses a reference to a
// Warehouse that does not exist). Its registry is unreachable: the tests apply their Freight
// by hand.
const web = `apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: web
  namespace: shop
spec:
  subscriptions:
  - image: {repoURL: 127.0.0.1:1/shop/web}
`

const freight = `apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata:
  name: anything
  namespace: shop
alias: quiet-lynx
origin: {kind: Warehouse, name: web}
images:
- repoURL: 127.0.0.1:1/shop/web
  tag: v2.0.1
  digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
`

const stage = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
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
      - uses: yaml-update
        as: update
        config:
          path: ./src/values.yaml
          updates: [{key: image.tag, value: "${{ imageFrom('127.0.0.1:1/shop/web').Tag }}"}]
      - uses: git-commit
        as: commit
        config: {path: ./src, message: "${{ outputs.update.commitMessage }}"}
      - uses: git-push
        as: push
        config: {path: ./src}
`

// TestCLIPromotesAgainstDrayUp drives a whole promotion through the CLI against dray up:
// apply, promote by alias and wait, then get promotions and get promotion.
func TestCLIPromotesAgainstDrayUp(t *testing.T) {
	git := gittest.NewServer(t)
	repo := git.Repo(t, "shop-config", map[string]string{"values.yaml": "image:\n  tag: v1.0.0 # current\n"})
	server := up(t)
	dir := writeManifests(t, map[string]string{
		"project.yaml": project, "web.yaml": web, "freight.yaml": freight,
		"stage.yaml": strings.Replace(stage, "REPO", repo, 1),
	})

	out, err := dray(t, server, "apply", "-f", dir)
	if err != nil {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}
	for _, want := range []string{"Project/shop created", "Stage/dev created", "Freight/"} {
		if !strings.Contains(out, want) {
			t.Errorf("dray apply printed %q, want it to mention %q", out, want)
		}
	}
	out, err = dray(t, server, "promote", "--stage", "dev", "--freight", "quiet-lynx", "--wait")
	if err != nil {
		t.Fatalf("dray promote --wait: %v\n%s", err, out)
	}
	name := regexp.MustCompile(`promotion (dev\.[0-9a-z]+\.[0-9a-f]{7}) requested`).FindStringSubmatch(out)
	if name == nil {
		t.Fatalf("dray promote printed no promotion name:\n%s", out)
	}
	if !regexp.MustCompile(`push\s+git-push\s+Succeeded`).MatchString(out) {
		t.Errorf("dray promote --wait does not show git-push Succeeded:\n%s", out)
	}

	out, err = dray(t, server, "get", "promotions")
	if err != nil || !strings.Contains(out, name[1]) || !strings.Contains(out, "Succeeded") {
		t.Errorf("dray get promotions = %q, %v; want %s Succeeded", out, err, name[1])
	}
	out, err = dray(t, server, "get", "promotion", name[1])
	if err != nil {
		t.Fatalf("dray get promotion: %v", err)
	}
	head := git.Log(t, "shop-config", "main")[0]
	for _, want := range []string{"clone", "update", "commit", head} {
		if !strings.Contains(out, want) {
			t.Errorf("dray get promotion output lacks %q:\n%s", want, out)
		}
	}
	if got := git.ReadFile(t, "shop-config", "main", "values.yaml"); got != "image:\n  tag: v2.0.1 # current\n" { // yaml-update keeps the comment
		t.Errorf("pushed values.yaml = %q", got)
	}
}

// TestApplyRejectsBadManifest: one bad document means nothing is stored, and the error names
// the file, the resource and the field.
func TestApplyRejectsBadManifest(t *testing.T) {
	server := up(t)
	bad := strings.Replace(strings.Replace(stage, "REPO", "https://example.com/x.git", 1), "      - uses: git-push\n", "      - usse: git-push\n", 1)
	dir := writeManifests(t, map[string]string{"project.yaml": project, "stage.yaml": bad})
	out, err := dray(t, server, "apply", "-f", dir)
	if err == nil {
		t.Fatalf("dray apply of a bad Stage succeeded:\n%s", out)
	}
	for _, want := range []string{"stage.yaml", "Stage/dev", "spec.promotionTemplate.spec.steps[3]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if out, err := dray(t, server, "get", "stages", "-p", "shop"); err == nil || !strings.Contains(err.Error(), `project "shop" not found`) || strings.Contains(out, "dev") {
		t.Errorf("after a rejected apply, get stages -p shop = %q, %v; want neither the Project nor the Stage stored", out, err)
	}
	if _, err := dray(t, server, "get", "stages"); err == nil || !strings.Contains(err.Error(), "no project") {
		t.Errorf("after a rejected apply the Project was stored: %v", err)
	}
}

func TestScheduledAt(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in, want, wantErr string
	}{
		{in: "2026-12-24T02:00:00+01:00", want: "2026-12-24T01:00:00Z"},
		{in: "90m", want: "2026-12-07T07:30:00Z"},
		{in: "-5m", wantErr: `--at: "-5m" is neither`},
		{in: "tomorrow", wantErr: `--at: "tomorrow" is neither`},
	} {
		got, err := scheduledAt(tt.in, now)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("scheduledAt(%q) error = %v, want one starting %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tt.want {
			t.Errorf("scheduledAt(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
