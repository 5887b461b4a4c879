package expr

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

var versionType = reflect.TypeFor[Version]()

// methodPatcher turns a member access to a zero-argument method of Version that is not
// called (semverParse(x).Major) into a call (semverParse(x).Major()), as the seed article
// writes it. It repeats until no member is left to patch, because a patched call gives the
// next member in a chain (.IncMajor.Major) its type only after the checker runs again.
type methodPatcher struct {
	patched bool
}

// Visit patches one node.
func (p *methodPatcher) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Method || m.Node.Type() != versionType {
		return
	}
	name, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	method, ok := versionType.MethodByName(name.Value)
	if !ok || method.Type.NumIn() != 1 { // the receiver is the only input
		return
	}
	m.Method = true
	ast.Patch(node, &ast.CallNode{Callee: m})
	p.patched = true
}

// Reset starts a pass.
func (p *methodPatcher) Reset() { p.patched = false }

// ShouldRepeat reports whether the pass patched anything.
func (p *methodPatcher) ShouldRepeat() bool { return p.patched }

// rootName is the variable that holds a parsed document's root for Document; a document key
// of that name is hidden by it.
const rootName = "__$root"

// rootPatcher makes $env read rootName, so that $env is a document's root itself, not the
// variables map built around it.
type rootPatcher struct{}

// Visit patches one node.
func (rootPatcher) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && id.Value == "$env" {
		ast.Patch(node, &ast.IdentifierNode{Value: rootName})
	}
}
