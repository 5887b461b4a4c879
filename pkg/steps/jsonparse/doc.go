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
// The file's root object is the expression environment (numbers are floats). A missing leaf
// is nil; a missing intermediate key is an error, so use ?. and ?? for optional keys. An empty
// file, JSON that does not parse or has data after its value, a root that is not an object,
// and an expression that does not compile or fails are Errored. The step only reads the
// workspace.
package jsonparse
