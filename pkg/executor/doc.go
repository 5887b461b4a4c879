// Package executor is the job loop every executor service runs: take a step job from
// DRAY_STEPS, check the promotion still wants it, check out the workspace, run the step, store
// the workspace, publish the result, and only then acknowledge the job. An executor service is
// wiring: it names its steps and calls Run. One attempt of a step is an Attempt, which dray run
// uses too, so a step runs the same way locally and in an executor.
package executor
