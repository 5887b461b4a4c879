package executor

import (
	"fmt"
	"log/slog"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
)

// unseal opens a job whose config the scheduler sealed (secret.Store.SealJob) and returns a
// Redactor of the secret values the config was rendered with, and log redacting them: every
// result the job gets and every line it logs goes through them, so no secret value the step
// sees reaches the bus or the logs, whatever the step puts in its outputs and errors.
// A job that does not open gets a terminal errored result instead, naming the step and what
// to do.
func (e *executor) unseal(job *v1.StepJob, log *slog.Logger) (*secret.Redactor, *slog.Logger, *v1.StepResult) {
	values, err := e.Secrets.OpenJob(job)
	if err != nil {
		o := steps.Outcome{Status: v1.StepErrored, Terminal: true, Reason: "SealedConfig",
			Message: fmt.Sprintf("step %q: executor %s cannot run it: %v", job.Alias, e.Name, err)}
		return nil, log, e.result(job, o, nil, job.Workspace, time.Now(), job.RecordedConfig)
	}
	red := secret.NewRedactor(values)
	return red, red.Logger(log), nil
}
