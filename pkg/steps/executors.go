package steps

import "time"

//go:generate go run ../../cmd/dray/internal/stepsgen -o executors_gen.go

// A built-in step's executor is said once, in its Info; builtin (executors_gen.go) is
// generated from the executors' registries.

// orchestrated are the kinds the orchestrator runs itself, with no I/O outside the control
// plane; they have no step package.
var orchestrated = map[string]string{
	"compose-output": "scheduler", "set-metadata": "scheduler", "set-freight-alias": "scheduler",
	"fail": "scheduler", "get-user-input": "scheduler", "wait-for-approval": "scheduler",
	"record-audit-event": "scheduler",
}

// ExecutorFor returns the executor that runs the built-in step uses, and false when uses is
// not a built-in step. A kind that is not built in is a CustomPromotionStep, run by the
// container executor, or unknown.
func ExecutorFor(uses string) (string, bool) {
	for _, table := range []map[string]string{builtin, orchestrated} {
		if e, ok := table[uses]; ok {
			return e, true
		}
	}
	return "", false
}

// DefaultTimeout is the retry.timeout of a built-in step uses that sets none: its Info's
// DefaultTimeout, recorded in executors_gen.go; 0 (unbounded) for other kinds.
func DefaultTimeout(uses string) time.Duration { return builtinTimeouts[uses] }
