package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/preview"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	executorconfig "github.com/drayhq/dray/services/executor-config"
	executorgit "github.com/drayhq/dray/services/executor-git"
	executorhttp "github.com/drayhq/dray/services/executor-http"
	"github.com/drayhq/dray/services/scheduler"
)

// runExecutor names the executor in the results of dray run.
const runExecutor = "dray-run"

type runOptions struct {
	files   []string
	freight string
	dir     string
	vars    []string
	stage   string
	diff    bool
	limits  runLimits
}

// runLimits are the sandbox options of dray run, as the executors take them.
type runLimits struct {
	// allowedHosts are values of --http-allowed-hosts (project=host,host…).
	allowedHosts []string
	// gitTransports are allowed beyond https, http and ssh.
	gitTransports gitrepo.Transports
}

func newRun(g *globals) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run -f FILE|DIR --freight FILE --dir DIR",
		Short: "Run one promotion template locally, without NATS",
		Long: `Run one promotion template in this process, with the step code the executors run, in
the workspace --dir (created; it must be empty). The template is a Stage's promotionTemplate
from the -f files (--stage picks one), or a plain YAML file with top-level steps: and
optional vars:. PromotionTasks and ClusterPromotionTasks in the -f files are available to
task steps. --freight names a file holding the Freight to promote. The project is --project,
else the Stage's namespace, else (for a template file) the Freight's. Each step is printed
as it finishes; the command fails unless the promotion succeeds. --var name=value adds a
promotion variable after the template's, so it wins (also over a task's default).

With --diff, nothing leaves this machine: git-clone, git-commit and the file steps run,
git-push only prints the diff (diff --git) it would push and outputs the local HEAD, and
every other step that could act outside the machine is skipped.`,
		Example: `  dray run -f stage-dev.yaml --freight freight.yaml --dir /tmp/ws
  dray run -f stages/ --stage prod --freight freight.yaml --dir /tmp/ws --diff`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runTemplate(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), g.project, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "filename", "f", nil, "manifest or template file, or directory (repeatable)")
	f.StringVar(&o.freight, "freight", "", "file holding the Freight to promote")
	f.StringVar(&o.dir, "dir", "", "workspace directory; created, and must be empty")
	f.StringArrayVar(&o.vars, "var", nil, "promotion variable name=value, overriding the template's (repeatable)")
	f.StringVar(&o.stage, "stage", "", `Stage to run from the -f files; with a template file, its name (default "local")`)
	f.StringArrayVar(&o.limits.allowedHosts, "http-allowed-hosts", nil, "project=host,host…: the hosts the project's http, http-download, send-message and oci-* steps may call (loopback and private addresses only when listed; repeatable)")
	f.Var(&o.limits.gitTransports, "allow-git-transport", "transports Git remotes may use beyond https, http and ssh: file (file:// and local paths) or git")
	f.BoolVar(&o.diff, "diff", false, "push nothing: print the diff git-push would push and skip steps that act outside this machine")
	_ = cmd.MarkFlagRequired("filename")
	_ = cmd.MarkFlagRequired("freight")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// runTemplate builds the Promotion, drives it to its end and reports it on out.
func runTemplate(ctx context.Context, out, logOut io.Writer, project string, o runOptions) error {
	vars, err := parseVars(o.vars)
	if err != nil {
		return err
	}
	defaultProject := project
	if defaultProject == "" {
		defaultProject = "local"
	}
	f, err := loadFreight(o.freight, defaultProject)
	if err != nil {
		return err
	}
	in, err := loadInput(o.files, defaultProject)
	if err != nil {
		return err
	}
	if project == "" && len(in.templates) > 0 {
		project = f.Metadata.Namespace // else the chosen Stage's
	}
	stage, err := in.stage(o.stage, project, f.Origin)
	if err != nil {
		return err
	}
	project = stage.Metadata.Namespace
	// --var goes after the template's vars, so it wins; New also lets it hide task defaults.
	stage = withVars(stage, vars)
	now := time.Now()
	p, err := promotion.New(promotion.Request{
		Project: project, Stage: stage, Freight: f, Now: now, Actor: runActor(),
		Name:  promotion.Name(stage.Metadata.Name, f.Metadata.Name, "dray run", now),
		Tasks: in.taskResolver(project),
	})
	if err != nil {
		return err
	}

	r, err := newRunner(out, logOut, o.dir, o.diff, o.limits)
	if err != nil {
		return err
	}
	defer r.root.Close()
	fmt.Fprintf(out, "Promotion %s: Freight %s to Stage %s of project %s, in %s\n",
		p.Metadata.Name, freightName(f), p.Spec.Stage, project, r.workDir)
	if o.diff {
		fmt.Fprintln(out, "--diff: nothing leaves this machine; git-push shows what it would push")
	}
	r.header(p)
	d := &promotion.Driver{Eval: expr.New(), Route: r.route, Orchestrated: scheduler.Runs, Run: r.run, Observe: r.observe, Data: in.data(project)}
	p, err = d.Drive(ctx, p)
	r.printPushes()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Phase: %s\n", p.Status.Phase)
	if p.Status.Phase != v1.PhaseSucceeded {
		return fmt.Errorf("promotion %s %s: %s", p.Metadata.Name, p.Status.Phase, p.Status.Message)
	}
	return nil
}

func parseVars(list []string) ([]v1.ExpressionVariable, error) {
	vars := make([]v1.ExpressionVariable, 0, len(list))
	for _, kv := range list {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want name=value", kv)
		}
		vars = append(vars, v1.ExpressionVariable{Name: name, Value: value})
	}
	return vars, nil
}

// withVars returns a copy of s whose template vars end with vars.
func withVars(s *v1.Stage, vars []v1.ExpressionVariable) *v1.Stage {
	if len(vars) == 0 || s.Spec.PromotionTemplate == nil {
		return s
	}
	c := *s
	t := *s.Spec.PromotionTemplate
	t.Spec.Vars = append(append([]v1.ExpressionVariable{}, t.Spec.Vars...), vars...)
	c.Spec.PromotionTemplate = &t
	return &c
}

func runActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "user:" + u
	}
	return ""
}

func freightName(f *v1.Freight) string {
	if f.Alias != "" {
		return fmt.Sprintf("%s (%s)", short(f.Metadata.Name), f.Alias)
	}
	return short(f.Metadata.Name)
}

// runner runs the jobs of one Promotion in place and prints their results.
type runner struct {
	out     io.Writer
	log     *slog.Logger
	steps   map[string]steps.Step
	workDir string
	root    *os.Root
	diff    bool
	// preview holds what git-push would have pushed, with --diff.
	preview preview.Recorder
	// widths of the alias and uses columns.
	aliasWidth, usesWidth int
}

// newRunner creates the workspace dir, which must be absent or empty, and registers the
// executors' steps.
func newRunner(out, logOut io.Writer, dir string, diff bool, limits runLimits) (*runner, error) {
	allowed, err := executorhttp.ParseAllowedHosts(limits.allowedHosts)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("--dir %s is not empty: a promotion starts from an empty workspace; remove it or name another", dir)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	r := &runner{
		out:     out,
		log:     slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
		steps:   map[string]steps.Step{},
		workDir: abs, root: root, diff: diff,
	}
	// The executors dray run stands in for, built with their services' New as dray up and
	// their own mains build them, but without a bus, secrets or caches.
	builds := []func() (*executor.Executor, error){
		func() (*executor.Executor, error) {
			return executorgit.New(executorgit.Options{Transports: limits.gitTransports}, service.Deps{})
		},
		func() (*executor.Executor, error) { return executorconfig.New(service.Deps{}) },
		func() (*executor.Executor, error) {
			return executorhttp.New(executorhttp.Options{AllowedHosts: allowed}, service.Deps{})
		},
	}
	for _, build := range builds {
		x, err := build()
		if err != nil {
			root.Close()
			return nil, err
		}
		for _, name := range x.Steps.Names() {
			s, _ := x.Steps.Lookup(name)
			if _, dup := r.steps[name]; dup {
				root.Close()
				return nil, &steps.DuplicateStepError{Name: name}
			}
			r.steps[name] = s
		}
	}
	return r, nil
}

// route says which steps can run: those the executors register and those the orchestrator
// runs itself; with --diff also the other built-in kinds, which get stand-ins.
func (r *runner) route(uses string) (string, bool) {
	if promotion.LocalStep(uses) {
		return promotion.Scheduler, true
	}
	if s, ok := r.steps[uses]; ok {
		return s.Info().Executor, true
	}
	if executor, ok := steps.ExecutorFor(uses); ok && r.diff && !preview.LocalKinds[uses] {
		return executor, true
	}
	return "", false
}

// run runs one attempt of job with the executors' step code, in the workspace, as an
// executor.Attempt: as the executors run it, but on --dir and with nothing stored.
func (r *runner) run(ctx context.Context, job *v1.StepJob, _ string) *v1.StepResult {
	find := r.lookup
	if r.diff {
		find = func(string) (steps.Step, error) { return r.dryStep(job), nil }
	}
	a := executor.NewAttempt(job, find, r.log.With("step", job.Alias, "uses", job.Uses, "attempt", job.Attempt), runExecutor)
	if res := a.Check(); res != nil {
		return res
	}
	out, outcome := a.Run(ctx, r.workDir, r.root)
	return a.Result(outcome, out.Outputs, job.Workspace)
}

// lookup finds a step the executors register.
func (r *runner) lookup(uses string) (steps.Step, error) {
	if s, ok := r.steps[uses]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w: %q", steps.ErrUnknownStep, uses)
}

// header prints the column titles, sized for the Promotion's aliases and kinds.
func (r *runner) header(p *v1.Promotion) {
	r.aliasWidth, r.usesWidth = len("STEP"), len("USES")
	for _, s := range p.Spec.Steps {
		r.aliasWidth, r.usesWidth = max(r.aliasWidth, len(s.As)), max(r.usesWidth, len(s.Uses))
	}
	r.line("STEP", "USES", "STATUS", "DURATION", "OUTPUTS / MESSAGE")
}

// observe prints a result as the Promotion recorded it: its status, its duration, its
// outputs as one line of JSON and its message; for a step that runs again, when.
func (r *runner) observe(p *v1.Promotion, res *v1.StepResult) {
	m := p.Status.StepExecutionMetadata[res.Step]
	status := m.Status
	if res.Attempt > 1 {
		status = fmt.Sprintf("%s (attempt %d)", status, res.Attempt)
	}
	var detail []string
	if len(res.Outputs) > 0 {
		b, err := json.Marshal(res.Outputs)
		if err != nil {
			b = []byte(err.Error())
		}
		detail = append(detail, string(b))
	}
	if m.Message != "" {
		detail = append(detail, strings.ReplaceAll(m.Message, "\n", " "))
	}
	if m.NextAttemptAt != nil {
		detail = append(detail, fmt.Sprintf("(next attempt in %s)", time.Until(*m.NextAttemptAt).Round(time.Second)))
	}
	dur := res.FinishedAt.Sub(res.StartedAt).Round(time.Millisecond).String()
	r.line(res.Alias, res.Uses, status, dur, strings.Join(detail, " "))
}

func (r *runner) line(alias, uses, status, dur, detail string) {
	fmt.Fprintf(r.out, "%-*s  %-*s  %-10s  %8s  %s\n", r.aliasWidth, alias, r.usesWidth, uses, status, dur, detail)
}
