package v1

import "time"

// StepJob asks an executor to run one attempt of one step. The scheduler publishes it on
// dray.steps.<executor>.<project> with Nats-Msg-Id <promotion>/<step>/<attempt>, so a job
// published twice runs once.
type StepJob struct {
	Project   string `json:"project"`
	Stage     string `json:"stage"`
	Promotion string `json:"promotion"`
	// Step is the index of the step in the Promotion's steps.
	Step  int    `json:"step"`
	Alias string `json:"alias"`
	Uses  string `json:"uses"`
	// Attempt counts from 1.
	Attempt int `json:"attempt"`
	// Config is the step's config with every expression evaluated, when no expression read
	// a secret; otherwise it is empty and Sealed holds it.
	Config map[string]any `json:"config,omitempty"`
	// Sealed is the config of a step whose expressions read secrets, with the secret values
	// it read, encrypted (AES-256-GCM) under a key derived from the secrets key that the
	// scheduler and the executors share, and bound to this job. Only an executor holding that
	// key opens it, so no subscriber sees a secret value in a job.
	Sealed []byte `json:"sealed,omitempty"`
	// RecordedConfig is Config as it may be recorded and shown: every value that came from a
	// secret is "[redacted]".
	RecordedConfig map[string]any `json:"recordedConfig,omitempty"`
	// Previous is the step's own output from an earlier attempt, so steps can recognise their
	// own earlier work.
	Previous map[string]any `json:"previous,omitempty"`
	// Ctx is the ctx the step's expressions were evaluated with (project, stage, promotion,
	// targetFreight, meta), for steps that render templates of their own: a
	// CustomPromotionStep's command and env.
	Ctx map[string]any `json:"ctx,omitempty"`
	// Workspace is the revision of the promotion workspace the step starts from; 0 is empty.
	Workspace int `json:"workspace"`
	// NotBefore delays the attempt: an executor that receives the job earlier puts it back.
	NotBefore *time.Time `json:"notBefore,omitempty"`
	// Deadline is when the attempt must end.
	Deadline *time.Time `json:"deadline,omitempty"`
}

// ID is the job's deduplication ID and Nats-Msg-Id.
func (j *StepJob) ID() string { return AttemptID(j.Promotion, j.Step, j.Attempt) }

// AttemptID names one attempt of one step of one Promotion.
func AttemptID(promotion string, step, attempt int) string {
	return promotion + "/" + itoa(step) + "/" + itoa(attempt)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
