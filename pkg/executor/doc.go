// Package executor is the job loop every executor service runs: take a step job from
// DRAY_STEPS, check the promotion still wants it, check out the workspace, run the step, store
// the workspace, publish the result, and only then acknowledge the job. An executor service is
// wiring: it names its steps and calls Run.
package executor
