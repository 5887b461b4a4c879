package expr

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// maxPrograms bounds the cache; when it is full the cache starts over, so a long-running
// service evaluating ever new expressions keeps bounded memory.
const maxPrograms = 10000

// Evaluator compiles expressions once and caches the programs (and compile errors) by source
// text. The zero value is not usable; call New. An Evaluator is safe for concurrent use.
type Evaluator struct {
	mu       sync.RWMutex
	programs map[programKey]compiled
	// compiles counts compilations, so tests can tell a cache hit from a recompile.
	compiles atomic.Int64
}

// New returns an Evaluator with an empty cache.
func New() *Evaluator {
	return &Evaluator{programs: make(map[programKey]compiled)}
}

// programKind separates template expressions from bare ones: they compile with different
// functions.
type programKind uint8

const (
	templateProgram programKind = iota
	bareProgram
	// documentProgram is a bare program whose $env is a parsed document's root (Document).
	documentProgram
)

type programKey struct {
	kind   programKind
	source string
}

type compiled struct {
	program *vm.Program
	err     error
	// uses is what a template program uses from its variables.
	uses uses
}

// compile returns the cached program for source, compiling it on first use.
func (e *Evaluator) compile(kind programKind, source string) compiled {
	key := programKey{kind, source}
	e.mu.RLock()
	c, ok := e.programs[key]
	e.mu.RUnlock()
	if ok {
		return c
	}

	opts := bareOptions()
	switch kind {
	case templateProgram:
		opts = templateOptions()
	case documentProgram:
		opts = append(opts, expr.Patch(rootPatcher{}))
	}
	e.compiles.Add(1)
	c.program, c.err = expr.Compile(source, opts...)
	if c.err == nil {
		c.err = CheckCost(c.program.Node())
	}
	if c.err == nil && kind == templateProgram {
		c.uses = usesOf(c.program)
	}

	e.mu.Lock()
	if len(e.programs) >= maxPrograms {
		clear(e.programs)
	}
	e.programs[key] = c
	e.mu.Unlock()
	return c
}

// Bare evaluates a bare expr-lang expression (no delimiters) against env, with the expr-lang
// builtins only, and returns its result as is. Unknown identifiers evaluate to nil. An error
// is an *Error naming the expression, whose cause carries expr-lang's position message.
func (e *Evaluator) Bare(expression string, env map[string]any) (any, error) {
	if env == nil {
		env = map[string]any{}
	}
	c := e.compile(bareProgram, expression)
	err := c.err
	if err == nil {
		// The budget's checkpoint joins a copy of env, so the caller's map is left alone.
		run := make(map[string]any, len(env)+1)
		maps.Copy(run, env)
		run[checkpointName] = function(newBudget().checkpoint)
		machine := vm.VM{MemoryBudget: MemoryBudget}
		var out any
		if out, err = machine.Run(c.program, run); err == nil {
			return out, nil
		}
	}
	return nil, &Error{Expr: expression, Err: budgetError(err)}
}

// Document evaluates a bare expression over a parsed document, as the parse steps do: root is
// the document's root, whatever it is. When it is an object its keys are the variables
// (image.tag); $env is always the root itself, so $env[0], len($env) and $env work on a list
// or a plain value too, which Kargo also names root (root[0]). Unknown identifiers evaluate to
// nil. Errors are as Bare's.
func (e *Evaluator) Document(expression string, root any) (any, error) {
	c := e.compile(documentProgram, expression)
	err := c.err
	if err == nil {
		obj, _ := root.(map[string]any)
		run := make(map[string]any, len(obj)+2)
		maps.Copy(run, obj)
		run[rootName] = root
		if obj == nil {
			run["root"] = root // Kargo's name for a root that is not an object
		}
		run[checkpointName] = function(newBudget().checkpoint)
		machine := vm.VM{MemoryBudget: MemoryBudget}
		var out any
		if out, err = machine.Run(c.program, run); err == nil {
			return out, nil
		}
	}
	return nil, &Error{Expr: expression, Err: budgetError(err)}
}
