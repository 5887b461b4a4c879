package lint

import (
	"strconv"
	"strings"
)

// Severity says whether a Finding will fail a promotion (Error) or only may (Warning).
type Severity int

const (
	// Error is a problem that makes a step or a Promotion fail when it runs.
	Error Severity = iota
	// Warning is a problem that cannot be decided from the input alone, e.g. a task that is
	// not in the input but may exist on the server.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// Finding is one problem of one resource, shaped like a *v1.FieldError with the step alias
// and a severity added.
type Finding struct {
	// File is the manifest file of the resource.
	File string
	// Resource is Kind/name, e.g. Stage/prod.
	Resource string
	// Path is the field path, e.g. spec.promotionTemplate.spec.steps[2].config.updates[0].value.
	Path string
	// Step is the alias of the step the field belongs to (step-<n> when it has none); empty
	// for fields outside steps, such as Stage vars.
	Step string
	// Msg says what is wrong and, where it can, what to do.
	Msg string
	// Severity is Error or Warning.
	Severity Severity
}

// String formats the finding as `file: Resource: path: step "alias": msg`, leaving out the
// parts that are empty.
func (f Finding) String() string {
	var parts []string
	for _, p := range []string{f.File, f.Resource, f.Path} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if f.Step != "" {
		parts = append(parts, "step "+strconv.Quote(f.Step))
	}
	return strings.Join(append(parts, f.Msg), ": ")
}

// HasErrors reports whether any of findings is an Error.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}
