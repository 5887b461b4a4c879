package expr

import (
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// uses is what a compiled template program uses from its variables: the bound functions it
// calls, so an evaluation binds only those, and the vars it reads, so RenderRedacted can tell
// whether it reads one that came from a secret.
type uses struct {
	// funcs are the names of the bound functions it uses (all of them with $env).
	funcs []string
	// vars are the names it reads as vars.name or vars['name'].
	vars []string
	// allVars is set when it may read any var: vars[key], vars passed whole, $env.
	allVars bool
}

// usesOf inspects program. Every use of the vars identifier that is not a member access by a
// constant name may read any var.
func usesOf(program *vm.Program) uses {
	var v usesVisitor
	node := program.Node()
	ast.Walk(&node, &v)
	if v.varsIdents > len(v.vars) {
		v.allVars = true
	}
	if v.env {
		v.funcs = v.funcs[:0]
		for name := range boundFunctions {
			v.funcs = append(v.funcs, name)
		}
	}
	return v.uses
}

// usesVisitor collects the uses of one program.
type usesVisitor struct {
	uses
	// varsIdents counts the vars identifiers; each vars.name is one of them.
	varsIdents int
	// env is set when the program uses $env.
	env bool
}

// Visit inspects one node.
func (v *usesVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch {
		case n.Value == "vars":
			v.varsIdents++
		case n.Value == "$env":
			v.env, v.allVars = true, true
		case boundFunctions[n.Value] != nil && !slices.Contains(v.funcs, n.Value):
			v.funcs = append(v.funcs, n.Value)
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "vars" {
			return
		}
		if name, ok := n.Property.(*ast.StringNode); ok {
			v.vars = append(v.vars, name.Value)
		}
	}
}

// readsSecretVar reports whether a program with these uses may read one of the secret vars.
func (u *uses) readsSecretVar(secret map[string]bool) bool {
	if len(secret) == 0 {
		return false
	}
	if u.allVars {
		return true
	}
	for _, name := range u.vars {
		if secret[name] {
			return true
		}
	}
	return false
}
