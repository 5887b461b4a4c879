package expr

import (
	"github.com/expr-lang/expr/vm"
)

// evaluation is the state of one Render, RenderRedacted, Template or TemplateSecret call. It
// is used by one goroutine only: the variables are built on the first expression and shared by
// the rest, one VM runs every expression, and the secrets and config maps read so far are
// cached, so a template that reads the same secret twice asks the Env once (docs/expressions.md#data-functions).
type evaluation struct {
	e   *Evaluator
	env *Env
	// redact makes value build the redacted copy of RenderRedacted too.
	redact bool
	vars   map[string]any
	vm     vm.VM
	// root and path are the field path of the value being rendered.
	root string
	path []step
	// keys holds the sorted keys of the maps value is in.
	keys []string
	// maps caches secret, sharedSecret, configMap and sharedConfigMap by source and name.
	maps map[dataKey]map[string]string
	// budget is what the evaluation has spent of its limits (MaxEvalTime, MaxEvalBytes).
	budget *budget
	// secretReads counts the calls of secret and sharedSecret, so a template can tell whether
	// it read one.
	secretReads int
}

// newEvaluation starts an evaluation against env, rendering at root; a nil env is an empty
// one.
func (e *Evaluator) newEvaluation(env *Env, root string, redact bool) *evaluation {
	if env == nil {
		env = &Env{}
	}
	ev := &evaluation{e: e, env: env, root: root, redact: redact, budget: newBudget()}
	ev.vm.MemoryBudget = MemoryBudget
	return ev
}

// variables returns the map expressions run against, built on first use: the variables of
// docs/expressions.md#variables and the bound functions that the program about to run uses.
func (ev *evaluation) variables(c *compiled) map[string]any {
	m := ev.vars
	if m == nil {
		env := ev.env
		m = make(map[string]any, 8)
		m["ctx"] = env.Ctx
		m["vars"] = env.Vars
		m["outputs"] = env.Outputs
		if env.TaskOutputs != nil {
			m["task"] = map[string]any{"outputs": env.TaskOutputs}
		}
		ev.vars = m
	}
	for _, name := range c.uses.funcs {
		if _, ok := m[name]; !ok {
			m[name] = boundFunctions[name](ev)
		}
	}
	return m
}
