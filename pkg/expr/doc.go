// Package expr implements Dray's ${{ }} template language (docs/expressions.md): it scans
// templates for ${{ }} and ${% %} delimiters, evaluates each expression with expr-lang
// against a step's environment (ctx, vars, outputs, task), renders the results into text and
// coerces the whole string back into a JSON value.
//
// Besides the expr-lang builtins, templates can call the quote family (quote, unsafeQuote,
// asYAML, asJSON), the freight functions (warehouse, imageFrom, commitFrom, chartFrom,
// artifactFrom), the semver utilities (semverParse, semverDiff), the data functions (secret,
// sharedSecret, configMap, sharedConfigMap, freightMetadata, freightStatus, stageMetadata),
// which read through callbacks on the [Env], and, where an [Env] provides step statuses, the
// status functions (success, failure, always, status).
//
// An [Evaluator] compiles each expression once and caches the program by its source text.
// [Evaluator.RenderRedacted] also returns a copy of a rendered config fit to be recorded, with
// every value that came from a secret replaced by [Redacted]; error messages never show the
// values of the secrets an evaluation has read.
package expr
