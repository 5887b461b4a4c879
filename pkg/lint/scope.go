package lint

import (
	"regexp"
	"slices"
	"strings"
)

// names is a set of variable names or step aliases.
type names struct {
	known map[string]bool
	// prefixes are alias prefixes that anything may follow: T:: for a task step whose task
	// is not in the input.
	prefixes map[string]bool
	// any means every name may exist: there is nothing to check.
	any bool
}

func newNames(list ...string) names {
	n := names{known: map[string]bool{}, prefixes: map[string]bool{}}
	for _, s := range list {
		n.known[s] = true
	}
	return n
}

// anyNames is a set that holds every name: nothing can be checked against it.
func anyNames() names {
	n := newNames()
	n.any = true
	return n
}

func (n names) has(s string) bool {
	if n.any || n.known[s] {
		return true
	}
	for p := range n.prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// clone returns a copy that can be added to without changing n.
func (n names) clone() names {
	c := newNames()
	c.any = n.any
	for k := range n.known {
		c.known[k] = true
	}
	for p := range n.prefixes {
		c.prefixes[p] = true
	}
	return c
}

func (n names) add(s string) { n.known[s] = true }

// scope is what the expressions of one field may read (docs/expressions.md#where-expressions-are-evaluated).
type scope struct {
	// vars are the variables defined before the field.
	vars names
	// outputs are the aliases of the steps before the field's step.
	outputs names
	// taskOutputs are the inner aliases of the earlier steps of the same task.
	taskOutputs names
	// inTask says that task.outputs exists: the step belongs to a task.
	inTask bool
	// global marks a Stage or template variable: it cannot read outputs or task.
	global bool
	// statusOK says status functions may be called: in if and config.
	statusOK bool
	// later holds the aliases of the steps after this one, to explain a forward reference.
	later map[string]bool
	// silent maps the alias of a task step whose task has no compose-output to the task.
	silent map[string]string
	// free, inside a task checked on its own, collects the reads that only the Stage using
	// the task can decide: unknown vars and every outputs.X. inner is the step's index.
	free  *[]freeRef
	inner int
}

// freeRef is a read inside a task that the using Stage must define.
type freeRef struct {
	at    at
	ref   ref
	inner int // index of the task step, -1 for a variable default
}

// template checks the template s of the field at a.
func (l *linter) template(a at, s string, sc *scope) {
	exprs, err := expressions(s)
	if err != nil {
		l.errorf(a, "%v", err)
	}
	seen := map[ref]bool{}
	for _, e := range exprs {
		refs, err := analyse(e.source)
		if err != nil {
			l.errorf(a, "expression %s: %v", e.text, err)
			continue
		}
		for _, r := range refs {
			if !seen[r] {
				seen[r] = true
				l.resolve(a, r, sc)
			}
		}
	}
}

// resolve checks that the environment holds what r reads.
func (l *linter) resolve(a at, r ref, sc *scope) {
	switch r.kind {
	case refOutputs:
		if sc.global {
			l.errorf(a, "Stage and template variables cannot read outputs; move this variable to the vars of the steps that use it")
		}
	case refTask:
		if !sc.inTask {
			l.errorf(a, "task is only defined in the steps of a PromotionTask; read outputs.<alias> instead")
		}
	case refStatus:
		if !sc.statusOK {
			l.errorf(a, "%s() is not available in vars: status functions work only in if and config", r.name)
		}
	case refVar:
		switch {
		case sc.vars.has(r.name):
		case sc.free != nil:
			*sc.free = append(*sc.free, freeRef{at: a, ref: r, inner: sc.inner})
		default:
			l.errorf(a, "%s: no variable %q is defined before this point (Stage vars, template vars, task vars or step vars)", member("vars", r.name), r.name)
		}
	case refOutput:
		switch {
		case sc.global:
			// Reported once, as refOutputs.
		case sc.free != nil:
			*sc.free = append(*sc.free, freeRef{at: a, ref: r, inner: sc.inner})
		case sc.outputs.has(r.name):
			if task, ok := sc.silent[r.name]; ok {
				l.errorf(a, "%s: %s exports no outputs: only its compose-output steps do, and it has none", member("outputs", r.name), task)
			}
		default:
			l.errorf(a, "%s: no earlier step has alias %q%s", member("outputs", r.name), r.name, hint("outputs", r.name, sc))
		}
	case refTaskOutput:
		if !sc.inTask {
			l.errorf(a, "%s: task is only defined in the steps of a PromotionTask; read %s instead", member("task.outputs", r.name), member("outputs", r.name))
		} else if !sc.taskOutputs.has(r.name) {
			l.errorf(a, "%s: no earlier step of this task has alias %q%s", member("task.outputs", r.name), r.name, hint("task.outputs", r.name, sc))
		}
	}
}

// hint explains why the alias read through root (outputs or task.outputs) is not defined.
func hint(root, alias string, sc *scope) string {
	if sc.later[alias] {
		return "; that step comes later, and a step reads only the outputs of steps before it"
	}
	var similar []string
	for _, set := range []map[string]bool{sc.outputs.known, sc.taskOutputs.known, sc.later} {
		for k := range set {
			if strings.HasPrefix(k, alias+"-") {
				similar = append(similar, k)
			}
		}
	}
	if len(similar) == 0 {
		return ""
	}
	slices.Sort(similar)
	return "; an alias with '-' needs brackets: " + member(root, similar[0])
}

var identifier = regexp.MustCompile(`^[a-zA-Z_]\w*$`)

// member renders a read as it would be written: outputs.clone or outputs['open-pr'].
func member(root, name string) string {
	if identifier.MatchString(name) {
		return root + "." + name
	}
	return root + "['" + strings.ReplaceAll(name, "'", `\'`) + "']"
}
