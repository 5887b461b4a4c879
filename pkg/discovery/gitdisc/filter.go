package gitdisc

import (
	"fmt"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// exprFilter is an expressionFilter compiled. A nil *exprFilter keeps every commit.
type exprFilter struct {
	source  string
	program *vm.Program
}

func newExprFilter(source string) (*exprFilter, error) {
	if source == "" {
		return nil, nil
	}
	p, err := expr.Compile(source, expr.AllowUndefinedVariables())
	if err != nil {
		return nil, fmt.Errorf("expressionFilter %q does not compile: %w", source, err)
	}
	return &exprFilter{source: source, program: p}, nil
}

// match evaluates the filter against env. A non-bool result is read with strconv.ParseBool
// of its %v text; anything else is an error, as is any evaluation error.
func (f *exprFilter) match(env map[string]any) (bool, error) {
	if f == nil {
		return true, nil
	}
	out, err := expr.Run(f.program, env)
	if err != nil {
		return false, fmt.Errorf("expressionFilter %q: %w", f.source, err)
	}
	if b, ok := out.(bool); ok {
		return b, nil
	}
	b, err := strconv.ParseBool(fmt.Sprint(out))
	if err != nil {
		return false, fmt.Errorf("expressionFilter %q gave %v, which is not a boolean", f.source, out)
	}
	return b, nil
}
