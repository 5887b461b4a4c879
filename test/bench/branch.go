package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// One branch, many Stages: Stages that promote into one branch of one repository, each
// editing its own file, as environments kept in one GitOps repository do. Their pushes race:
// Dray serialises them per repository branch (a lease in NATS KV) and integrates before it
// pushes; the command-line script races and retries with `git pull --rebase`.

// branchFile is the file Stage stage edits.
func branchFile(stage string) string { return "env/" + stage + "/values.yaml" }

// branchRepo creates repository name holding one values file per Stage.
func (h *harness) branchRepo(name string, stages []string) (string, error) {
	files := map[string]string{}
	for _, s := range stages {
		files[branchFile(s)] = "# " + s + " values\nimage:\n  repository: ghcr.io/example/app\n  tag: v0.0.0 # first\nreplicas: 2\n"
	}
	if err := h.git.Init(name, files); err != nil {
		return "", err
	}
	return h.gitURL + "/" + name + ".git", nil
}

func branchStages(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + "-" + strconv.Itoa(i)
	}
	return out
}

// oneBranch runs n four-step promotions spread over stages Stages that all push to main of
// one repository, after one warm-up promotion per Stage, and returns promotions per second.
func (h *harness) oneBranch(ctx context.Context, stages, n int) (float64, error) {
	names := branchStages("branch", stages)
	url, err := h.branchRepo("one-branch", names)
	if err != nil {
		return 0, err
	}
	for _, s := range names {
		steps := fourSteps(url)
		steps[1].Config["path"] = "./src/" + branchFile(s)
		if err := h.put(ctx, v1.KindStage, s, stage(s, steps)); err != nil {
			return 0, err
		}
	}
	round := func(tag string, per []int) error {
		var wg sync.WaitGroup
		errs := make(chan error, len(names))
		for i, s := range names {
			wg.Go(func() {
				for j := range per[i] {
					f, err := h.freight(ctx, fmt.Sprintf("v3.%s.%d.%d", tag, i, j))
					if err == nil {
						_, err = h.promote(ctx, s, f, fmt.Sprintf("%s-%s-%d", s, tag, j))
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	warm := make([]int, stages)
	for i := range warm {
		warm[i] = 1
	}
	if err := round("warm", warm); err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	start := time.Now()
	if err := round("load", share(n, stages)); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// share splits n runs over k workers.
func share(n, k int) []int {
	out := make([]int, k)
	for i := range n {
		out[i%k]++
	}
	return out
}

// scriptOneBranch runs n promotions as the git command-line script, stages scripts at once,
// each editing its own file on main of one repository and retrying a rejected push after
// `git pull --rebase`, and returns promotions per second.
func (h *harness) scriptOneBranch(ctx context.Context, stages, n int) (float64, error) {
	names := branchStages("script", stages)
	url, err := h.branchRepo("script-branch", names)
	if err != nil {
		return 0, err
	}
	work, err := os.MkdirTemp("", "dray-bench-branch-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	const sh = `set -e
rm -rf src
git clone -q --depth 1 --branch main "$URL" src
cd src
sed -i "s/^  tag: .*/  tag: $TAG/" "$FILE"
git -c user.name=bench -c user.email=bench@example.com commit -q -am "Updated $FILE"
n=0
until git push -q origin HEAD:main 2>/dev/null; do
  n=$((n+1)); [ "$n" -lt 100 ] || { echo "push rejected $n times" >&2; exit 1; }
  git -c user.name=bench -c user.email=bench@example.com pull -q --rebase origin main
done
`
	per := share(n, stages)
	var wg sync.WaitGroup
	errs := make(chan error, stages)
	start := time.Now()
	for i, s := range names {
		dir := filepath.Join(work, s)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
		wg.Go(func() {
			for j := range per[i] {
				cmd := exec.CommandContext(ctx, "bash", "-c", sh)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "URL="+url, "FILE="+branchFile(s), "TAG=v3."+strconv.Itoa(j), "GIT_TERMINAL_PROMPT=0")
				if b, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Errorf("script %s run %d: %v: %s", s, j, err, b)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
