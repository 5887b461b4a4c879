package promotion

import (
	"fmt"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/secret"
)

// Scheduler is the executor name of the steps the orchestrator runs itself.
const Scheduler = "scheduler"

// Prepared is a step ready to run, or its outcome when nothing has to run it.
type Prepared struct {
	// Job is the rendered step for Executor to run; nil when Result is set.
	Job *v1.StepJob
	// Executor runs Job. "scheduler" means the orchestrator runs it, with the control plane's
	// data at hand (set-metadata).
	Executor string
	// Result is the step's outcome when it was decided here: skipped by its if, an
	// expression that failed, an unknown kind, or a step the orchestrator runs itself
	// (compose-output, fail).
	Result *v1.StepResult
	// Secrets are the secret values Job's config was rendered with: the scheduler seals the
	// config for the executor when there are any (secret.Store.SealJob), and everything the
	// step reports is redacted of them.
	Secrets []string
}

// PrepareOptions are what Prepare needs beside the Promotion.
type PrepareOptions struct {
	// Route finds the executor of a step kind; false means the kind is unknown.
	Route func(uses string) (string, bool)
	// Data backs secret(), configMap() and the metadata functions.
	Data Data
	// Now is the time the outcome is recorded at.
	Now time.Time
	// Orchestrated reports whether the caller runs the step kind uses itself when Route
	// sends it to Scheduler (the scheduler's set-metadata, which needs the control plane);
	// Prepare then returns its Job for Scheduler. Nil means none: such a kind is not
	// implemented. The kinds that need nothing but their config (LocalStep) Prepare runs.
	Orchestrated func(uses string) bool
}

// Prepare renders the step that act names (docs/steps/README.md#how-steps-run, steps 1 to 3): it evaluates the
// step's if on its first attempt, its vars and its config, finds its executor with route, and
// runs the orchestrator's own steps. It is pure; the scheduler publishes what it returns, and
// dray run runs it in place.
func Prepare(ev *expr.Evaluator, p *v1.Promotion, act Action, o PrepareOptions) Prepared {
	now, route := o.Now, o.Route
	step := p.Spec.Steps[act.Step]
	job := &v1.StepJob{
		Project: p.Metadata.Namespace, Stage: p.Spec.Stage, Promotion: p.Metadata.Name,
		Step: act.Step, Alias: step.As, Uses: step.Uses, Attempt: act.Attempt,
		Workspace: p.Status.Workspace, Previous: p.Status.State[step.As],
	}
	decided := func(status, reason, msg string, outputs map[string]any) Prepared {
		return Prepared{Result: &v1.StepResult{
			Project: job.Project, Promotion: job.Promotion, Step: job.Step, Alias: job.Alias, Uses: job.Uses,
			Attempt: job.Attempt, Status: status, Reason: reason, Message: msg, Outputs: outputs,
			Workspace: job.Workspace, StartedAt: now.UTC(), FinishedAt: now.UTC(), Executor: Scheduler,
			Terminal: status == v1.StepErrored || status == v1.StepFailed, Config: job.RecordedConfig,
		}}
	}
	env, err := Env(ev, p, act.Step, o.Data)
	if err != nil {
		return decided(v1.StepErrored, "InvalidExpression", err.Error(), nil)
	}
	job.Ctx = env.Ctx
	if act.First {
		run, err := ShouldRun(ev, step, env)
		if err != nil {
			return decided(v1.StepErrored, "InvalidCondition", fmt.Sprintf("error checking if step %q should be skipped: %v", step.As, err), nil)
		}
		if !run {
			return decided(v1.StepSkipped, "", "", nil)
		}
	}
	rendered, recorded, secrets, err := ev.RenderSecrets("config", orEmpty(step.Config), env)
	if err != nil {
		return decided(v1.StepErrored, "InvalidExpression", fmt.Sprintf("step %q: %v", step.As, err), nil)
	}
	job.Config, _ = rendered.(map[string]any)
	job.RecordedConfig, _ = recorded.(map[string]any)
	executor, ok := route(step.Uses)
	switch {
	case !ok:
		return decided(v1.StepErrored, "UnknownStep", fmt.Sprintf("step %q: step kind %q not registered", step.As, step.Uses), nil)
	case executor == Scheduler && (o.Orchestrated == nil || !o.Orchestrated(step.Uses)):
		prep := runLocal(job, decided)
		secret.NewRedactor(secrets).Result(prep.Result)
		return prep
	}
	if !act.NotBefore.IsZero() {
		job.NotBefore = &act.NotBefore
	}
	if d := Timeout(step); d > 0 && len(p.Status.StepExecutionMetadata) > act.Step {
		if started := p.Status.StepExecutionMetadata[act.Step].StartedAt; started != nil {
			deadline := started.Add(d)
			job.Deadline = &deadline
		}
	}
	return Prepared{Job: job, Executor: executor, Secrets: secrets}
}

// SetMetadataConfig is the config of set-metadata (schemas/steps/set-metadata.json).
type SetMetadataConfig struct {
	Updates []v1.MetadataUpdate `json:"updates"`
}

// ShouldRun evaluates a step's if (docs/steps/README.md#skipping-a-step-if); empty means success(). A value that is not
// a boolean is an error.
func ShouldRun(ev *expr.Evaluator, step v1.PromotionStep, env *expr.Env) (bool, error) {
	if step.If == "" {
		return !env.Failed, nil
	}
	v, err := ev.Template(step.If, env)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("if: %q must evaluate to a boolean, got %T %v", step.If, v, v)
	}
	return b, nil
}

// localSteps are the orchestrator's steps whose outcome follows from their config alone, by
// name: Prepare runs them in place, for the scheduler and dray run alike. Each returns the
// step's status, reason, message and outputs.
var localSteps = map[string]func(job *v1.StepJob) (status, reason, msg string, outputs map[string]any){
	"compose-output": composeOutput,
	"fail":           fail,
}

// LocalStep reports whether Prepare runs the step kind uses itself: its outcome needs
// nothing but its config. Route such a kind to Scheduler.
func LocalStep(uses string) bool {
	_, ok := localSteps[uses]
	return ok
}

// composeOutput makes its config the step's outputs; they are recorded, so they hold no
// secrets.
func composeOutput(job *v1.StepJob) (string, string, string, map[string]any) {
	if len(job.Config) == 0 {
		return v1.StepFailed, "InvalidConfig", fmt.Sprintf("step %q: compose-output needs at least one key in config", job.Alias), nil
	}
	return v1.StepSucceeded, "", "", job.RecordedConfig
}

// fail fails the Promotion with its config's message.
func fail(job *v1.StepJob) (string, string, string, map[string]any) {
	msg, _ := job.Config["message"].(string)
	if msg == "" {
		msg = "failed by fail step"
	}
	return v1.StepFailed, "Failed", msg, nil
}

// runLocal runs a step kind routed to Scheduler that the caller does not run itself.
func runLocal(job *v1.StepJob, decided func(status, reason, msg string, outputs map[string]any) Prepared) Prepared {
	if run, ok := localSteps[job.Uses]; ok {
		return decided(run(job))
	}
	return decided(v1.StepErrored, "NotImplemented", fmt.Sprintf("step %q: %s is not implemented yet", job.Alias, job.Uses), nil)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
