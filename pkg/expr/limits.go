package expr

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Limits on one expression and one evaluation (docs/limits.md). An expression over a
// compile-time limit does not compile, so dray lint and dray apply refuse it; an evaluation
// over a run-time limit ends with an error wrapping ErrBudget, which makes the step errored
// rather than hold a scheduler worker.
const (
	// MaxNodes is the most syntax nodes one expression may have.
	MaxNodes = 1000
	// MaxCost is the most work an expression may plan, counted before it runs: each node once,
	// the body of map, filter, all, any and the other predicate builtins once per element of a
	// constant range or array (1..1000), and repeat once per repetition.
	MaxCost = 1_000_000
	// MaxEvalTime is how long one evaluation (every expression of one step's config, or one
	// template) may run, checked at every element a predicate builtin visits.
	MaxEvalTime = 2 * time.Second
	// MaxEvalBytes is how many bytes of strings the predicate bodies of one evaluation may
	// produce in all.
	MaxEvalBytes = 64 << 20
	// MemoryBudget is expr-lang's own count of the elements an expression may allocate in
	// ranges, arrays, maps and sorts (conf.DefaultMemoryBudget).
	MemoryBudget = 1_000_000
)

// ErrBudget is wrapped by the error of an expression that exceeds a limit.
var ErrBudget = errors.New("expression exceeds its budget")

// checkpointName is the bound function that the budget patcher calls in every predicate body.
const checkpointName = "__checkpoint"

// budgetPatcher wraps the body of every predicate (the {…} of map, filter, all, …) in a call
// of the evaluation's checkpoint, so a loop cannot outrun MaxEvalTime or MaxEvalBytes:
// expr-lang's VM has no other way to be interrupted.
type budgetPatcher struct{}

func (budgetPatcher) Visit(node *ast.Node) {
	p, ok := (*node).(*ast.PredicateNode)
	if !ok {
		return
	}
	if c, ok := p.Node.(*ast.CallNode); ok {
		if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == checkpointName {
			return // patched already
		}
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: checkpointName}, Arguments: []ast.Node{p.Node}}
	call.SetLocation(p.Node.Location())
	p.Node = call
}

// budget is what one evaluation has spent; its checkpoint is bound as __checkpoint.
type budget struct {
	started time.Time
	bytes   int
}

func newBudget() *budget { return &budget{started: time.Now()} }

// checkpoint passes a predicate body's value through, or fails once the evaluation is over
// its time or bytes budget.
func (b *budget) checkpoint(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("%s takes 1 argument", checkpointName)
	}
	if s, ok := args[0].(string); ok {
		b.bytes += len(s)
	}
	switch {
	case b.bytes > MaxEvalBytes:
		return nil, fmt.Errorf("%w: its loops built more than %d MiB of text", ErrBudget, MaxEvalBytes>>20)
	case time.Since(b.started) > MaxEvalTime:
		return nil, fmt.Errorf("%w: it ran longer than %s", ErrBudget, MaxEvalTime)
	}
	return args[0], nil
}

// compileLimits are the options every compilation of Dray's adds: the node limit and the
// budget patcher.
func compileLimits() []expr.Option {
	return []expr.Option{expr.MaxNodes(MaxNodes), expr.Patch(budgetPatcher{})}
}

// CheckCost refuses an expression whose planned work is over MaxCost; dray lint calls it on
// the parsed expression, as the Evaluator does on every compilation.
func CheckCost(node ast.Node) error {
	if c := cost(node); c > MaxCost {
		return fmt.Errorf("%w: it plans about %.0f operations, more than %d (nested loops over large ranges?)", ErrBudget, c, MaxCost)
	}
	return nil
}

// cost estimates the operations node plans: a node counts once, a predicate body once per
// element of a constant range or array. Sizes known only at run time count as one; the run
// time checkpoint bounds those.
func cost(n ast.Node) float64 {
	switch n := n.(type) {
	case nil:
		return 0
	case *ast.BuiltinNode:
		c := 1.0
		size := 1.0
		if len(n.Arguments) > 0 {
			size = constSize(n.Arguments[0])
		}
		for _, a := range n.Arguments {
			if p, ok := a.(*ast.PredicateNode); ok {
				c += size * cost(p.Node)
			} else {
				c += cost(a)
			}
		}
		if n.Name == "repeat" && len(n.Arguments) == 2 {
			if k, ok := n.Arguments[1].(*ast.IntegerNode); ok {
				c += float64(k.Value)
			}
		}
		return c
	case *ast.PredicateNode:
		return 1 + cost(n.Node)
	case *ast.UnaryNode:
		return 1 + cost(n.Node)
	case *ast.BinaryNode:
		return 1 + cost(n.Left) + cost(n.Right)
	case *ast.ChainNode:
		return 1 + cost(n.Node)
	case *ast.MemberNode:
		return 1 + cost(n.Node) + cost(n.Property)
	case *ast.SliceNode:
		return 1 + cost(n.Node) + cost(n.From) + cost(n.To)
	case *ast.CallNode:
		return 1 + cost(n.Callee) + sum(n.Arguments)
	case *ast.ConditionalNode:
		return 1 + cost(n.Cond) + cost(n.Exp1) + cost(n.Exp2)
	case *ast.VariableDeclaratorNode:
		return 1 + cost(n.Value) + cost(n.Expr)
	case *ast.SequenceNode:
		return 1 + sum(n.Nodes)
	case *ast.ArrayNode:
		return 1 + sum(n.Nodes)
	case *ast.MapNode:
		return 1 + sum(n.Pairs)
	case *ast.PairNode:
		return 1 + cost(n.Key) + cost(n.Value)
	}
	return 1
}

func sum(nodes []ast.Node) float64 {
	var c float64
	for _, n := range nodes {
		c += cost(n)
	}
	return c
}

// constSize is the number of elements of a constant range or array, else 1.
func constSize(n ast.Node) float64 {
	switch n := n.(type) {
	case *ast.BinaryNode:
		if n.Operator != ".." {
			return 1
		}
		from, ok1 := n.Left.(*ast.IntegerNode)
		to, ok2 := n.Right.(*ast.IntegerNode)
		if ok1 && ok2 && to.Value >= from.Value {
			return float64(to.Value-from.Value) + 1
		}
	case *ast.ArrayNode:
		return float64(max(len(n.Nodes), 1))
	case *ast.ConstantNode:
		if v := reflect.ValueOf(n.Value); v.Kind() == reflect.Slice {
			return float64(max(v.Len(), 1))
		}
	}
	return 1
}

// budgetError makes expr-lang's own "memory budget exceeded" wrap ErrBudget too.
func budgetError(err error) error {
	if err != nil && !errors.Is(err, ErrBudget) && strings.Contains(err.Error(), "memory budget exceeded") {
		return fmt.Errorf("%w: %w", ErrBudget, err)
	}
	return err
}
