package main

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/steps"
)

// blockStep runs until its context ends.
type blockStep struct{ started chan struct{} }

func (b *blockStep) Info() steps.Info {
	return steps.Info{Name: "block", Executor: "test", ReadOnly: true}
}
func (b *blockStep) Run(ctx context.Context, _ *steps.Context) (steps.Result, error) {
	close(b.started)
	<-ctx.Done()
	return steps.Result{}, ctx.Err()
}

// TestCLIAbort: dray abort stops a running Promotion, and says so in dray get promotion.
func TestCLIAbort(t *testing.T) {
	block := &blockStep{started: make(chan struct{})}
	reg, err := steps.NewRegistry(block)
	if err != nil {
		t.Fatal(err)
	}
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor:  executor.Options{CacheDir: t.TempDir()},
		Executors: []allinone.Executor{{Name: "test", Steps: reg}},
		Route: func(uses string) (string, bool) {
			if uses == "block" {
				return "test", true
			}
			return steps.ExecutorFor(uses)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Stop)
	adminTokens.Store(in.URL, in.AdminToken)
	blocking := strings.Replace(stage, "      - uses: git-clone\n", "      - uses: block\n        as: block\n      - uses: git-clone\n", 1)
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "freight.yaml": freight, "stage.yaml": strings.Replace(blocking, "REPO", "https://example.com/x.git", 1)})
	if out, err := dray(t, in.URL, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	out, err := dray(t, in.URL, "promote", "--stage", "dev", "--freight", "quiet-lynx")
	if err != nil {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	name := regexp.MustCompile(`promotion (\S+) requested`).FindStringSubmatch(out)[1]
	select {
	case <-block.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the blocking step never started")
	}
	if out, err := dray(t, in.URL, "abort", name); err != nil || !strings.Contains(out, "abort of promotion") {
		t.Fatalf("dray abort = %q, %v", out, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := client.New(in.URL, client.WithToken(in.AdminToken)).WaitPromotion(ctx, "shop", name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != "Aborted" || !strings.HasPrefix(p.Status.Message, "Promotion terminated by") {
		t.Errorf("after dray abort: %s %q", p.Status.Phase, p.Status.Message)
	}
	if out, _ := dray(t, in.URL, "get", "promotion", name); !regexp.MustCompile(`block\s+block\s+Aborted`).MatchString(out) ||
		!regexp.MustCompile(`clone\s+git-clone\s+Pending`).MatchString(out) {
		t.Errorf("dray get promotion after abort:\n%s", out)
	}
	if _, err := dray(t, in.URL, "abort", name); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("second dray abort = %v, want an 'already ended' error", err)
	}
}
