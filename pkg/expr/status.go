package expr

import (
	"errors"
	"fmt"
)

// success implements success() (docs/expressions.md#status-functions): true unless an earlier step counts as failed.
func (env *Env) success(args ...any) (any, error) {
	if err := env.statusCall("success", 0, args); err != nil {
		return nil, err
	}
	return !env.Failed, nil
}

// failure implements failure(): the negation of success().
func (env *Env) failure(args ...any) (any, error) {
	if err := env.statusCall("failure", 0, args); err != nil {
		return nil, err
	}
	return env.Failed, nil
}

// always implements always(): true.
func (env *Env) always(args ...any) (any, error) {
	if err := env.statusCall("always", 0, args); err != nil {
		return nil, err
	}
	return true, nil
}

// status implements status(alias): the recorded status of an earlier step, "" if unknown.
func (env *Env) status(args ...any) (any, error) {
	if err := env.statusCall("status", 1, args); err != nil {
		return nil, err
	}
	alias, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("status: alias must be a string, got %T", args[0])
	}
	if alias == "" {
		return nil, errors.New("status: alias must not be empty")
	}
	return env.Status(alias), nil
}

// statusCall checks that status functions are available and the call has n arguments.
func (env *Env) statusCall(fn string, n int, args []any) error {
	if env.Status == nil {
		return fmt.Errorf("%s(): %w (only in a step's if and config)", fn, ErrStatusUnavailable)
	}
	if len(args) != n {
		return fmt.Errorf("%s: expected %d arguments, got %d", fn, n, len(args))
	}
	return nil
}
