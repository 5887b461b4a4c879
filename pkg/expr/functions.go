package expr

import (
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/expr-lang/expr"
)

// templateOptions are the compile options of template expressions. The functions here need
// no Env, so they are compiled in and their arguments are type-checked at compile time. The
// quote family's names are reserved (docs/expressions.md#quoting): no variable or Env-bound function may use them.
// The patcher is stateful, so the options are built anew for every compilation.
func templateOptions() []expr.Option {
	return append([]expr.Option{
		expr.AllowUndefinedVariables(),
		// Quote family (#quoting).
		expr.Function("quote", quote, new(func(any) string)),
		expr.Function("unsafeQuote", unsafeQuote, new(func(any) string)),
		expr.Function("asYAML", asYAML, new(func(any) string)),
		expr.Function("asJSON", asJSON, new(func(any) string)),
		// Freight origin (#freight).
		expr.Function("warehouse", warehouse, new(func(string) v1.FreightOrigin)),
		// Utilities (#semantic-versions).
		expr.Function("semverParse", semverParse, new(func(string) Version)),
		expr.Function("semverDiff", semverDiff, new(func(string, string) string)),
		expr.Patch(&methodPatcher{}),
	}, compileLimits()...)
}

// bareOptions are the compile options of bare expressions: expr-lang builtins only.
func bareOptions() []expr.Option {
	return append([]expr.Option{expr.AllowUndefinedVariables()}, compileLimits()...)
}

// function is the shape of every Env-bound function: expr-lang calls it by reflection at run
// time, and the function checks its own arity and argument types.
type function = func(args ...any) (any, error)

// boundFunctions are the functions bound to an evaluation, by name. They are unknown at
// compile time and are looked up in the variables at run time, so one compiled program serves
// every Env; an evaluation binds only the ones its programs use (uses.funcs).
var boundFunctions = map[string]func(*evaluation) function{
	// Freight (#freight).
	"imageFrom":    func(ev *evaluation) function { return ev.env.imageFrom },
	"commitFrom":   func(ev *evaluation) function { return ev.env.commitFrom },
	"chartFrom":    func(ev *evaluation) function { return ev.env.chartFrom },
	"artifactFrom": func(ev *evaluation) function { return ev.env.artifactFrom },
	// Status (#status-functions).
	"success": func(ev *evaluation) function { return ev.env.success },
	"failure": func(ev *evaluation) function { return ev.env.failure },
	"always":  func(ev *evaluation) function { return ev.env.always },
	"status":  func(ev *evaluation) function { return ev.env.status },
	// Data (#data-functions), through the Env's callbacks; secrets and config maps are cached in ev.
	"secret":          func(ev *evaluation) function { return ev.secret },
	"sharedSecret":    func(ev *evaluation) function { return ev.sharedSecret },
	"configMap":       func(ev *evaluation) function { return ev.configMap },
	"sharedConfigMap": func(ev *evaluation) function { return ev.sharedConfigMap },
	"freightMetadata": func(ev *evaluation) function { return ev.freightMetadata },
	"freightStatus":   func(ev *evaluation) function { return ev.freightStatus },
	"stageMetadata":   func(ev *evaluation) function { return ev.stageMetadata },
	// The budget patcher's checkpoint in every predicate body (limits.go).
	checkpointName: func(ev *evaluation) function { return ev.budget.checkpoint },
}

// templateFunctions are the functions templateOptions compiles in.
var templateFunctions = map[string]bool{
	"quote": true, "unsafeQuote": true, "asYAML": true, "asJSON": true,
	"warehouse": true, "semverParse": true, "semverDiff": true,
}

// IsFunction reports whether a template may call name: one of Dray's functions (the
// expr-lang builtins are not included). dray lint uses it to report an unknown function
// before it fails at run time.
func IsFunction(name string) bool {
	return templateFunctions[name] || (boundFunctions[name] != nil && name != checkpointName)
}
