package lint

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

	drayexpr "github.com/drayhq/dray/pkg/expr"
)

// delimiters are the opening and closing pairs of a template: ${{ … }} and ${% … %}.
var delimiters = [...]struct{ open, close string }{{"${{", "}}"}, {"${%", "%}"}}

// templated reports whether s contains an expression, so that its value is only known when
// the step runs.
func templated(s string) bool {
	for _, d := range delimiters {
		if strings.Contains(s, d.open) {
			return true
		}
	}
	return false
}

// expression is one ${{ }} or ${% %} of a template.
type expression struct {
	text   string // with its delimiters, for messages
	source string // between the delimiters
}

// expressions splits template s as the evaluator does: each opening delimiter ends at the
// first matching closing one, without nesting. An unclosed delimiter is an error.
func expressions(s string) ([]expression, error) {
	var out []expression
	for rest := s; ; {
		at, open, close := -1, "", ""
		for _, d := range delimiters {
			if i := strings.Index(rest, d.open); i >= 0 && (at < 0 || i < at) {
				at, open, close = i, d.open, d.close
			}
		}
		if at < 0 {
			return out, nil
		}
		body := rest[at+len(open):]
		end := strings.Index(body, close)
		if end < 0 {
			return out, fmt.Errorf("unclosed expression: expected %q but reached end of template", close)
		}
		out = append(out, expression{text: open + body[:end] + close, source: body[:end]})
		rest = body[end+len(close):]
	}
}

// refKind is what part of the environment a ref reads.
type refKind int

const (
	refVar        refKind = iota // vars.<name>
	refOutput                    // outputs.<name>
	refTaskOutput                // task.outputs.<name>
	refOutputs                   // the identifier outputs, however it is used
	refTask                      // the identifier task, however it is used
	refStatus                    // a call of a status function
)

// ref is one read of the environment by an expression.
type ref struct {
	kind refKind
	name string
}

// statusFunctions are only available in a step's if and config, as in Kargo.
var statusFunctions = map[string]bool{"success": true, "failure": true, "always": true, "status": true}

// compileOptions mirror the evaluator's: unknown identifiers are resolved at run time, and the
// quote family, compiled in, has its arity checked.
func compileOptions() []expr.Option {
	stub := func(...any) (any, error) { return nil, nil }
	return []expr.Option{
		expr.AllowUndefinedVariables(),
		expr.MaxNodes(drayexpr.MaxNodes),
		expr.Function("quote", stub, new(func(any) string)),
		expr.Function("unsafeQuote", stub, new(func(any) string)),
		expr.Function("asYAML", stub, new(func(any) string)),
		expr.Function("asJSON", stub, new(func(any) string)),
	}
}

// analyse compiles one expression and lists what it reads, each ref once, in source order.
// A syntax or type error is returned with expr-lang's message and position.
func analyse(source string) ([]ref, error) {
	tree, err := parser.Parse(source)
	if err != nil {
		return nil, positioned(err)
	}
	if _, err := expr.Compile(source, compileOptions()...); err != nil {
		return nil, positioned(err)
	}
	if err := drayexpr.CheckCost(tree.Node); err != nil {
		return nil, err
	}
	c := &collector{seen: map[ref]bool{}, shadowed: map[string]bool{}}
	ast.Walk(&tree.Node, shadows{c.shadowed})
	ast.Walk(&tree.Node, c)
	if c.unknown != "" {
		return nil, fmt.Errorf("unknown function %q: it is neither an expr-lang builtin nor a Dray function", c.unknown)
	}
	if slices.ContainsFunc(c.refs, func(r ref) bool { return r.kind == refTaskOutput }) {
		// Each task.outputs.X says more than the task identifier it contains.
		c.refs = slices.DeleteFunc(c.refs, func(r ref) bool { return r.kind == refTask })
	}
	return c.refs, nil
}

// positioned drops expr-lang's multi-line snippet and keeps the message and its position.
func positioned(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Errorf("%s (line %d, column %d)", fe.Message, fe.Line, fe.Column+1)
	}
	return err
}

// shadows records the names that let declares, whose reads are not environment reads.
type shadows struct{ names map[string]bool }

func (s shadows) Visit(node *ast.Node) {
	if d, ok := (*node).(*ast.VariableDeclaratorNode); ok {
		s.names[d.Name] = true
	}
}

// collector gathers the refs of one expression tree.
type collector struct {
	// unknown is the first function called that neither expr-lang nor Dray defines.
	unknown  string
	refs     []ref
	seen     map[ref]bool
	shadowed map[string]bool
}

func (c *collector) add(r ref) {
	if !c.seen[r] {
		c.seen[r] = true
		c.refs = append(c.refs, r)
	}
}

// Visit recognises outputs.X, outputs['X'], vars.Y, task.outputs.X and calls of status
// functions. Reads through a computed key (outputs[vars.a]) cannot be checked and are only
// recorded as reads of outputs.
func (c *collector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch {
		case c.shadowed[n.Value]:
		case n.Value == "outputs":
			c.add(ref{kind: refOutputs})
		case n.Value == "task":
			c.add(ref{kind: refTask})
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		switch {
		case !ok || c.shadowed[id.Value]:
		case statusFunctions[id.Value]:
			c.add(ref{kind: refStatus, name: id.Value})
		case !drayexpr.IsFunction(id.Value) && c.unknown == "":
			c.unknown = id.Value
		}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return
		}
		if id, ok := n.Node.(*ast.IdentifierNode); ok && !c.shadowed[id.Value] {
			switch id.Value {
			case "outputs":
				c.add(ref{kind: refOutput, name: prop.Value})
			case "vars":
				c.add(ref{kind: refVar, name: prop.Value})
			}
			return
		}
		if parent, ok := n.Node.(*ast.MemberNode); ok && isTaskOutputs(parent) && !c.shadowed["task"] {
			c.add(ref{kind: refTaskOutput, name: prop.Value})
		}
	}
}

// isTaskOutputs reports whether m is task.outputs.
func isTaskOutputs(m *ast.MemberNode) bool {
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, isString := m.Property.(*ast.StringNode)
	return ok && isString && id.Value == "task" && prop.Value == "outputs"
}
