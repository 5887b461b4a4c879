package executor

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
)

// checkJob checks a job before any key or subject is built from it: its project is the one
// of its subject, dray.steps.<executor>.<project>, and its names are valid.
func checkJob(job *v1.StepJob, subject string) error {
	var errs []error
	parts := strings.Split(subject, ".")
	if len(parts) != 4 || parts[3] != job.Project {
		errs = append(errs, fmt.Errorf("project: the job names project %s but was sent on %.120s", short(job.Project), subject))
	}
	errs = append(errs, names.Field("project", job.Project, names.Project), names.Field("stage", job.Stage, names.Object),
		names.Field("promotion", job.Promotion, names.Object))
	if job.Step < 0 || job.Attempt < 1 {
		errs = append(errs, fmt.Errorf("step %d, attempt %d: want a step of 0 or more and an attempt of 1 or more", job.Step, job.Attempt))
	}
	if job.Workspace < 0 {
		errs = append(errs, fmt.Errorf("workspace: revision %d is negative", job.Workspace))
	}
	return errors.Join(errs...)
}

// short quotes s for an error, cut short: an error must not echo a hostile 5,000 bytes.
func short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}
