// Package secret keeps Secrets encrypted in the dray-secrets bucket, finds the credentials a
// step or a Warehouse needs for a repository URL, seals the configs of step jobs that read
// secrets, and redacts secret values from what steps report.
//
// A step whose config reads a secret travels sealed (SealJob, OpenJob) rather than as
// references the executor resolves: the scheduler alone renders configs, with the whole
// expression environment (vars, outputs, Freight, secrets) at hand, and a reference would
// make every executor render again, with that environment re-read and possibly changed. Both
// ends already hold the secrets key (the scheduler to evaluate secret(), the executors to
// find credentials), so a key derived from it seals the job, with no new key to distribute.
package secret
