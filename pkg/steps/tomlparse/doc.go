// Package tomlparse implements the toml-parse step: it reads a TOML file and outputs values
// computed from it by bare expr-lang expressions.
//
// Example:
//
//	steps:
//	- uses: toml-parse
//	  as: cargo
//	  config:
//	    path: ./src/Cargo.toml
//	    outputs:
//	    - name: version
//	      fromExpression: package.version
//
// The document (decoded with github.com/pelletier/go-toml/v2) is the expression environment,
// with JSON semantics: integers and floats become floats, dates and times their RFC 3339
// text. A missing leaf is nil; a missing intermediate key is an error, so use ?. and ?? for
// optional keys. An empty file, TOML that does not parse, and an expression that does not
// compile or fails are Errored. The step only reads the workspace.
package tomlparse
