package expr

import (
	"errors"
	"strings"
)

// ErrUnclosed is returned (wrapped in an *Error) when a template opens a delimiter that is
// never closed.
var ErrUnclosed = errors.New("unclosed expression")

// ErrStatusUnavailable is returned when a status function (success, failure, always, status)
// is called where no step statuses exist, e.g. while evaluating vars.
var ErrStatusUnavailable = errors.New("status functions are not available here")

// Error is a failed template: the field path it sits at (set by Render), the expression that
// failed, with its delimiters, and the cause. Callers match it with errors.As.
type Error struct {
	// Path is the field path, e.g. config.updates[0].value; empty outside Render.
	Path string
	// Expr is the failing expression as written, e.g. "${{ vars.x + }}"; empty when the
	// template itself is malformed.
	Expr string
	// Err is the cause; expr-lang's errors carry the position and a source snippet.
	Err error
}

func (e *Error) Error() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{e.Path, e.Expr} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	parts = append(parts, e.Err.Error())
	return strings.Join(parts, ": ")
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
