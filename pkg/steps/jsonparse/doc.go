// Package jsonparse implements the json-parse step: it reads a JSON file and outputs values
// computed from it by bare expr-lang expressions.
//
// Example:
//
//	steps:
//	- uses: json-parse
//	  as: pkg
//	  config:
//	    path: ./src/package.json
//	    outputs:
//	    - name: version
//	      fromExpression: version
//
// The keys of the file's root object are the expression's variables (numbers are floats), and
// $env is the root itself, so a file whose root is a list or a plain value is read with
// $env[0], len($env) or $env. A missing leaf is nil; a missing intermediate key is an error,
// so use ?. and ?? for optional keys. An empty file, JSON that does not parse or has data
// after its value, and an expression that does not compile or fails are Errored. The step
// only reads the workspace.
package jsonparse
