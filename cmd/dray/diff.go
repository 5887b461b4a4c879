package main

import (
	"fmt"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
)

// dryStep returns the step --diff runs for job: the stand-ins of pkg/preview, which the UI's
// promote preview runs too.
func (r *runner) dryStep(job *v1.StepJob) steps.Step {
	return r.preview.Step(job.Uses, r.steps[job.Uses], job.RecordedConfig)
}

// printPushes prints the diff of every push --diff held back.
func (r *runner) printPushes() {
	for _, p := range r.preview.Pushes {
		if p.Tag != "" {
			fmt.Fprintf(r.out, "\n--- step %q would push tag %s (%s) to %s\n", p.Alias, p.Tag, short(p.Head), p.URL)
			continue
		}
		from := short(p.Base)
		if from == "" {
			from = "(nothing)"
		}
		force := ""
		if p.Force {
			force = "force-"
		}
		fmt.Fprintf(r.out, "\n--- step %q would %spush %s..%s to branch %s of %s\n", p.Alias, force, from, short(p.Head), p.Branch, p.URL)
		if p.Diff == "" {
			fmt.Fprintln(r.out, "(no changes)")
			continue
		}
		fmt.Fprint(r.out, p.Diff)
	}
}
