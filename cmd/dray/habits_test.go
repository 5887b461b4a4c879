package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/pkg/gittest"
)

// drayIn is dray with stdin as standard input.
func drayIn(t *testing.T, server, stdin string, args ...string) (string, error) {
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
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

const staging = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: staging
  namespace: shop
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {stages: [dev]}
  promotionTemplate:
    spec:
      steps:
      - uses: compose-output
        as: done
        config: {tag: "${{ imageFrom('127.0.0.1:1/shop/web').Tag }}"}
`

// alpha is a control-flow Stage (no steps).
const alpha = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: alpha
  namespace: shop
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
`

const otherFreight = `apiVersion: kargo.akuity.io/v1alpha1
kind: Freight
metadata:
  name: other
  namespace: shop
alias: loud-heron
origin: {kind: Warehouse, name: web}
images:
- repoURL: 127.0.0.1:1/shop/web
  tag: v2.0.2
  digest: sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
`

// TestCLIHabits: get shows one Freight by alias, refuses an unknown project, lists
// projects, sorts by creation time (newest last), prints every -o format of kubectl, and
// its kind: List of -o yaml goes back through apply -f -; stages and Freight show where
// Freight is; promote --wait prints each transition; --downstream-from promotes to the
// Stages after one.
func TestCLIHabits(t *testing.T) {
	git := gittest.NewServer(t)
	repo := git.Repo(t, "shop-config", map[string]string{"values.yaml": "image:\n  tag: v1.0.0\n"})
	server := up(t)
	dev := strings.Replace(stage, "REPO", repo, 1)
	// Three applies, so creation order (dev, staging, alpha) and name order differ.
	for _, files := range []map[string]string{
		{"project.yaml": project, "web.yaml": web, "dev.yaml": dev, "freight.yaml": freight, "other.yaml": otherFreight},
		{"staging.yaml": staging},
		{"alpha.yaml": alpha},
	} {
		if out, err := dray(t, server, "apply", "-f", writeManifests(t, files)); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
	}

	out, err := dray(t, server, "get", "freight", "quiet-lynx")
	if err != nil || !strings.Contains(out, "quiet-lynx") || strings.Contains(out, "loud-heron") {
		t.Errorf("dray get freight quiet-lynx = %v\n%s\nwant that Freight alone", err, out)
	}
	if out, err := dray(t, server, "get", "stages", "-p", "nope"); err == nil || !strings.Contains(err.Error(), `project "nope" not found`) {
		t.Errorf("dray get stages -p nope = %v\n%s\nwant the unknown project named", err, out)
	}
	if out, err := dray(t, server, "get", "projects"); err != nil || !regexp.MustCompile(`(?m)^NAME\s*\nshop\s*$`).MatchString(out) {
		t.Errorf("dray get projects = %v\n%s", err, out)
	}
	if out, err := dray(t, server, "get", "stages"); err != nil || !regexp.MustCompile(`(?s)\ndev\s.*\nstaging\s.*\nalpha\s`).MatchString(out) {
		t.Errorf("dray get stages = %v\n%s\nwant dev, staging, alpha: creation order", err, out)
	}
	formats := []struct{ args, want []string }{
		{[]string{"get", "stages", "-o", "name"}, []string{"stage.kargo.akuity.io/dev\nstage.kargo.akuity.io/staging\nstage.kargo.akuity.io/alpha\n"}},
		{[]string{"get", "stages", "-o", "jsonpath={.items[*].metadata.name}"}, []string{"dev staging alpha"}},
		{[]string{"get", "freight", "loud-heron", "-o", "go-template={{.alias}}/{{(index .images 0).tag}}"}, []string{"loud-heron/v2.0.2"}},
		{[]string{"get", "freight", "-o", "wide"}, []string{"ARTIFACTS", "127.0.0.1:1/shop/web:v2.0.2"}},
		{[]string{"get", "stage", "dev", "-o", "json"}, []string{`"kind": "Stage"`, `"name": "dev"`}},
		{[]string{"get", "stages", "-o", "yaml"}, []string{"apiVersion: v1\nitems:\n", "kind: List\n"}},
	}
	for _, f := range formats {
		out, err := dray(t, server, f.args...)
		for _, w := range f.want {
			if err != nil || !strings.Contains(out, w) {
				t.Errorf("dray %s = %v\n%s\nwant %q", strings.Join(f.args, " "), err, out, w)
			}
		}
	}
	if out, err := dray(t, server, "get", "stages", "-o", "toml"); err == nil || !strings.Contains(err.Error(), "jsonpath=") {
		t.Errorf("dray get -o toml = %v\n%s\nwant the formats listed", err, out)
	}
	list, err := dray(t, server, "get", "stages", "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := drayIn(t, server, list, "apply", "-f", "-"); err != nil || strings.Count(out, " unchanged") != 3 {
		t.Errorf("dray get stages -o yaml | dray apply -f - = %v\n%s\nwant the three Stages back, unchanged", err, out)
	}

	out, err = dray(t, server, "promote", "--stage", "dev", "--freight", "quiet-lynx", "--wait")
	if err != nil {
		t.Fatalf("dray promote --wait: %v\n%s", err, out)
	}
	for _, want := range []string{": running\n", ": step clone (git-clone) started\n", ": step push (git-push) Succeeded in ", ": Succeeded\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("dray promote --wait does not print %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`Freight:\s+quiet-lynx \([0-9a-f]{7}`).MatchString(out) {
		t.Errorf("dray promote --wait does not show the Freight's alias:\n%s", out)
	}
	if out, err := dray(t, server, "approve", "loud-heron", "--stage", "staging"); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if out, err := dray(t, server, "pause", "staging", "--reason", "freeze"); err != nil {
		t.Fatalf("pause: %v\n%s", err, out)
	}
	// staging is paused: the Promotion queues, and --wait says why until its timeout.
	out, err = dray(t, server, "promote", "--downstream-from", "dev", "--freight", "quiet-lynx", "--wait", "--timeout", "5s")
	if err == nil || !regexp.MustCompile(`promotion staging\.\S+ requested`).MatchString(out) || strings.Contains(out, "promotion dev.") {
		t.Fatalf("dray promote --downstream-from dev --wait = %v\n%s\nwant a Promotion to staging alone, still waiting", err, out)
	}
	for _, want := range []string{": queued for stage staging\n", ": waiting: stage staging is paused by ", " (freeze): dray resume staging lets it start\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("dray promote --wait to a paused Stage does not print %q:\n%s", want, out)
		}
	}
	if out, err := dray(t, server, "promote", "--downstream-from", "staging", "--freight", "quiet-lynx"); err == nil || !strings.Contains(err.Error(), "nothing is downstream") {
		t.Errorf("dray promote --downstream-from staging = %v\n%s\nwant nothing downstream said", err, out)
	}
	// The table columns: dev holds quiet-lynx; staging is paused with one Promotion queued
	// (HEALTH is empty until the health watch reports, then Healthy);
	// quiet-lynx is in dev, verified there; loud-heron is approved for staging.
	eventually(t, func() (string, bool) {
		out, _ := dray(t, server, "get", "stages")
		return out, regexp.MustCompile(`(?m)^NAME\s+FREIGHT\s+HEALTH\s+PAUSED\s+WINDOW\s+QUEUED\s+PROMOTION\s+PHASE\s+AGE$`).MatchString(out) &&
			regexp.MustCompile(`(?m)^dev\s+quiet-lynx\s+(\S+\s+)?no\s+0\s+dev\.\S+\s+Succeeded\s+\d+s\s*$`).MatchString(out) &&
			regexp.MustCompile(`(?m)^staging\s+(\S+\s+)?yes\s+1\s+\d+s\s*$`).MatchString(out)
	})
	eventually(t, func() (string, bool) {
		out, _ := dray(t, server, "get", "freight")
		return out, regexp.MustCompile(`(?m)^NAME\s+ALIAS\s+ORIGIN\s+CURRENT IN\s+VERIFIED IN\s+APPROVED FOR\s+AGE$`).MatchString(out) &&
			regexp.MustCompile(`(?m)^\S+\s+quiet-lynx\s+web\s+dev\s+dev\s+\d+s$`).MatchString(out) &&
			regexp.MustCompile(`(?m)^\S+\s+loud-heron\s+web\s+staging\s+\d+s$`).MatchString(out)
	})
	if out, err := dray(t, server, "get", "promotions"); err != nil || !regexp.MustCompile(`(?m)^dev\.\S+\s+dev\s+quiet-lynx\s+Succeeded\s`).MatchString(out) {
		t.Errorf("dray get promotions = %v\n%s\nwant the Freight's alias", err, out)
	}
}

// eventually retries check for a while and fails with its last output.
func eventually(t *testing.T, check func() (string, bool)) {
	t.Helper()
	var out string
	for range 100 {
		var ok bool
		if out, ok = check(); ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("never as wanted:\n%s", out)
}

// TestAge: ages read as kubectl's.
func TestAge(t *testing.T) {
	for _, tt := range []struct {
		ago  time.Duration
		want string
	}{{45 * time.Second, "45s"}, {5 * time.Minute, "5m"}, {3 * time.Hour, "3h"}, {48*time.Hour + time.Minute, "2d"}, {50 * time.Hour, "2d2h"}} {
		at := time.Now().Add(-tt.ago)
		if got := age(&at); got != tt.want {
			t.Errorf("age(%v ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
}

// TestEveryCommandHasExample walks the command tree: every command's help has Examples.
func TestEveryCommandHasExample(t *testing.T) {
	root := newRoot()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasExample() {
			t.Errorf("%q has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestVersion: dray version says the module version, the commit and the Go version.
func TestVersion(t *testing.T) {
	out, err := dray(t, "http://127.0.0.1:1", "version")
	if err != nil || !strings.HasPrefix(out, "dray ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("dray version = %v\n%s", err, out)
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "a66f97f0"}, {Key: "vcs.time", Value: "2026-12-07T05:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionString(info, true), "dray v0.4.0, commit a66f97f0 (2026-12-07T05:00:00Z), with uncommitted changes, go1.26.8"; got != want {
		t.Errorf("versionString = %q, want %q", got, want)
	}
}

// TestCompletion: the shell's completion (cobra's __complete) offers kinds, then Stage
// names, Freight aliases, Warehouse and project names from the gateway.
func TestCompletion(t *testing.T) {
	server := up(t)
	if out, err := dray(t, server, "apply", "-f", writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "freight.yaml": freight,
		"stage.yaml": strings.Replace(stage, "REPO", "https://example.com/x.git", 1)})); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "st"}, "stages\n"},
		{[]string{"get", "stages", ""}, "dev\n"},
		{[]string{"get", "warehouse", "w"}, "web\n"},
		{[]string{"promote", "--freight", "qu"}, "quiet-lynx\n"},
		{[]string{"promote", "--stage", ""}, "dev\n"},
		{[]string{"pause", ""}, "dev\n"},
		{[]string{"approve", "q"}, "quiet-lynx\n"},
		{[]string{"refresh", "warehouse", ""}, "web\n"},
		{[]string{"get", "stages", "-p", "s"}, "shop\n"},
		{[]string{"delete", "project", "sh"}, "shop\n"},
		{[]string{"delete", "clusterc"}, "clusterconfig\n"},
	} {
		out, err := dray(t, server, append([]string{"__complete"}, tt.args...)...)
		if err != nil || !strings.HasPrefix(out, tt.want) {
			t.Errorf("completion of %q = %v\n%s\nwant %q first", tt.args, err, out, tt.want)
		}
	}
}
