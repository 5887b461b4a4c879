package preview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/gitpush"
)

// LocalKinds are the step kinds a preview runs for real: they change nothing outside the
// workspace (git-clone only reads the remote; its create option is ignored). Every other
// kind, including those Dray gains later, gets a stand-in: git-push one that records its
// diff, the rest one that skips them. compose-output and fail run in the orchestrator and
// never reach a step.
var LocalKinds = map[string]bool{
	"git-clone": true, "git-clear": true, "git-commit": true, "git-tag": true,
	"yaml-update": true, "yaml-parse": true, "yaml-merge": true, "json-update": true,
	"json-parse": true, "toml-update": true, "toml-parse": true, "hcl-update": true,
	"kustomize-set-image": true, "copy": true, "delete": true, "file-write": true,
	"tar": true, "untar": true,
}

// Push is what one git-push would have pushed.
type Push struct {
	Alias, URL, Branch, Tag string
	// Base is the remote branch's commit as cloned ("" when the branch is new); Head the
	// local commit it would push.
	Base, Head string
	Force      bool
	// Diff is the diff --git from Base to Head.
	Diff string
}

// Recorder makes the steps of a preview and keeps the pushes its git-push held back. It is
// not safe for concurrent use: a Promotion runs its steps one at a time.
type Recorder struct {
	Pushes []Push
}

// Step returns the step a preview runs for a job of kind uses: real is the registered step
// of that kind (nil when none), config the job's recorded config (what secret() gave is
// redacted), which a skipped step shows.
func (r *Recorder) Step(uses string, real steps.Step, config map[string]any) steps.Step {
	switch {
	case uses == "git-push":
		return &dryPush{rec: r}
	case uses == "git-clone" && real != nil:
		return &dryClone{real: real}
	case LocalKinds[uses] && real != nil:
		return real
	}
	return notRun{uses: uses, config: config}
}

// dryPush stands in for git-push: it works out the branch git-push would push to, as git-push
// does, and records the diff from the remote branch as cloned to the local HEAD. It outputs
// branch and commit (the local HEAD) for later steps.
type dryPush struct {
	rec *Recorder
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
	plan := Push{Alias: sc.Alias, URL: repo.URL(), Head: head, Tag: cfg.Tag}
	out := map[string]any{"commit": head, "branch": current}
	if cfg.Tag != "" {
		d.rec.Pushes = append(d.rec.Pushes, plan)
		return steps.Result{Outputs: out, Message: fmt.Sprintf("--diff: would push tag %s; not pushed", cfg.Tag)}, nil
	}
	plan.Branch, plan.Force = cfg.TargetBranch, cfg.Force
	if cfg.GenerateTargetBranch {
		plan.Branch, plan.Force = gitpush.GeneratedBranchPrefix+sc.Promotion, true
	}
	if plan.Branch == "" {
		if current == "" {
			return steps.Result{}, steps.Terminal(steps.Reasoned("DetachedHead",
				fmt.Errorf("config.targetBranch: %s has no branch checked out (%w); set targetBranch", cfg.Path, gitrepo.ErrDetachedHead)))
		}
		plan.Branch = current
	}
	if plan.Base, err = repo.PushBase(plan.Branch); err != nil {
		return steps.Result{}, err
	}
	if plan.Diff, err = repo.Diff(ctx, plan.Base, head); err != nil {
		return steps.Result{}, err
	}
	d.rec.Pushes = append(d.rec.Pushes, plan)
	out["branch"] = plan.Branch
	return steps.Result{Outputs: out, Message: fmt.Sprintf("--diff: would push %s to %s; not pushed", Short(head), plan.Branch)}, nil
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

// Short is a commit's first 12 characters.
func Short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
