package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitpush"
)

// localKinds are the step kinds dray run --diff runs for real: they change nothing outside
// the workspace (git-clone only reads the remote; its create option is ignored). Every other
// kind, including those Dray gains later, gets a stand-in: git-push one that shows its diff,
// the rest one that skips them. compose-output and fail run in the orchestrator and never
// reach a step.
var localKinds = map[string]bool{
	"git-clone": true, "git-clear": true, "git-commit": true, "git-tag": true,
	"yaml-update": true, "yaml-parse": true, "yaml-merge": true, "json-update": true,
	"json-parse": true, "toml-update": true, "toml-parse": true, "hcl-update": true,
	"kustomize-set-image": true, "copy": true, "delete": true, "file-write": true,
	"tar": true, "untar": true,
}

// dryStep returns the step --diff runs for job.
func (r *runner) dryStep(job *v1.StepJob) steps.Step {
	uses := job.Uses
	s, registered := r.steps[uses]
	switch {
	case uses == "git-push":
		return &dryPush{pushes: &r.pushes}
	case uses == "git-clone" && registered:
		return &dryClone{real: s}
	case localKinds[uses] && registered:
		return s
	}
	return notRun{uses: uses, config: job.RecordedConfig}
}

// pushPlan is what one git-push would have pushed.
type pushPlan struct {
	alias, url, branch, tag string
	base, head              string
	force                   bool
	diff                    string
}

// printPushes prints the diff of every push --diff held back.
func (r *runner) printPushes() {
	for _, p := range r.pushes {
		if p.tag != "" {
			fmt.Fprintf(r.out, "\n--- step %q would push tag %s (%s) to %s\n", p.alias, p.tag, short(p.head), p.url)
			continue
		}
		from := short(p.base)
		if from == "" {
			from = "(nothing)"
		}
		force := ""
		if p.force {
			force = "force-"
		}
		fmt.Fprintf(r.out, "\n--- step %q would %spush %s..%s to branch %s of %s\n", p.alias, force, from, short(p.head), p.branch, p.url)
		if p.diff == "" {
			fmt.Fprintln(r.out, "(no changes)")
			continue
		}
		fmt.Fprint(r.out, p.diff)
	}
}

// dryPush stands in for git-push: it works out the branch git-push would push to, as git-push
// does, and records the diff from the remote branch as cloned to the local HEAD. It outputs
// branch and commit (the local HEAD) for later steps.
type dryPush struct {
	pushes *[]pushPlan
}

var _ steps.Step = (*dryPush)(nil)

func (*dryPush) Info() steps.Info {
	return steps.Info{Name: "git-push", Executor: "git", ReadOnly: true}
}

func (d *dryPush) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[gitpush.Config](sc, "git-push")
	if err != nil {
		return steps.Result{}, err
	}
	dir, err := sc.Path(cfg.Path)
	if err != nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("config.path: %w", err))
	}
	repo, err := gitrepo.Open(dir, nil)
	if err != nil {
		if errors.Is(err, gitrepo.ErrNotRepository) {
			err = steps.Reasoned("NotARepository", fmt.Errorf("config.path %q: %w", cfg.Path, err))
		}
		return steps.Result{}, steps.Terminal(err)
	}
	current, err := repo.Branch()
	if err != nil {
		return steps.Result{}, err
	}
	head, err := repo.Head()
	if err != nil {
		return steps.Result{}, err
	}
	plan := pushPlan{alias: sc.Alias, url: repo.URL(), head: head, tag: cfg.Tag}
	out := map[string]any{"commit": head, "branch": current}
	if cfg.Tag != "" {
		*d.pushes = append(*d.pushes, plan)
		return steps.Result{Outputs: out, Message: fmt.Sprintf("--diff: would push tag %s; not pushed", cfg.Tag)}, nil
	}
	plan.branch, plan.force = cfg.TargetBranch, cfg.Force
	if cfg.GenerateTargetBranch {
		plan.branch, plan.force = gitpush.GeneratedBranchPrefix+sc.Promotion, true
	}
	if plan.branch == "" {
		if current == "" {
			return steps.Result{}, steps.Terminal(steps.Reasoned("DetachedHead",
				fmt.Errorf("config.targetBranch: %s has no branch checked out (%w); set targetBranch", cfg.Path, gitrepo.ErrDetachedHead)))
		}
		plan.branch = current
	}
	if plan.base, err = repo.PushBase(plan.branch); err != nil {
		return steps.Result{}, err
	}
	if plan.diff, err = repo.Diff(ctx, plan.base, head); err != nil {
		return steps.Result{}, err
	}
	*d.pushes = append(*d.pushes, plan)
	out["branch"] = plan.branch
	return steps.Result{Outputs: out, Message: fmt.Sprintf("--diff: would push %s to %s; not pushed", short(head), plan.branch)}, nil
}

// dryClone is git-clone without create: a missing branch is not pushed to the remote.
type dryClone struct {
	real steps.Step
}

var _ steps.Step = (*dryClone)(nil)

func (c *dryClone) Info() steps.Info { return c.real.Info() }

func (c *dryClone) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	list, _ := sc.Config["checkout"].([]any)
	created := false
	checkouts := make([]any, len(list))
	for i, co := range list {
		m, ok := co.(map[string]any)
		if ok && m["create"] == true {
			m = maps.Clone(m)
			delete(m, "create")
			co, created = m, true
		}
		checkouts[i] = co
	}
	if !created {
		return c.real.Run(ctx, sc)
	}
	dry := *sc
	dry.Config = maps.Clone(sc.Config)
	dry.Config["checkout"] = checkouts
	res, err := c.real.Run(ctx, &dry)
	if errors.Is(err, gitrepo.ErrBranchNotFound) {
		err = fmt.Errorf("%w (--diff creates no branch: create was ignored)", err)
	}
	return res, err
}

// notRun stands in for a step that could act outside this machine: it is skipped, and says
// what it would have run.
type notRun struct {
	uses string
	// config is the step's recorded config: what secret() gave is redacted.
	config map[string]any
}

var _ steps.Step = notRun{}

func (n notRun) Info() steps.Info { return steps.Info{Name: n.uses, ReadOnly: true} }

func (n notRun) Run(context.Context, *steps.Context) (steps.Result, error) {
	cfg, err := json.Marshal(n.config)
	if err != nil {
		cfg = []byte(err.Error())
	}
	return steps.Result{
		Status:  steps.StatusSkipped,
		Message: fmt.Sprintf("--diff: not run, %s may act outside this machine; config %s", n.uses, cfg),
	}, nil
}
