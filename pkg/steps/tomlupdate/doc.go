// Package tomlupdate implements the toml-update step: it replaces existing scalar values in a
// TOML file by key path, rewriting only the bytes of each old value so that comments and
// layout survive.
//
// Example:
//
//	steps:
//	- uses: toml-update
//	  config:
//	    path: ./src/config/prod.toml
//	    updates:
//	    - key: image.tag
//	      value: ${{ imageFrom("ghcr.io/example/app").Tag }}
//	    - key: servers.0.host
//	      value: 10.0.0.5
//
// The file is parsed with the unstable (AST) parser of github.com/pelletier/go-toml/v2, which
// reports the exact byte range of every value; that is what lets the step replace a value in
// place. Keys use the key-path syntax of package keypath and follow the document's structure:
// tables ([a.b]), dotted keys (a.b = 1), inline tables ({x = 1}), arrays ([1, 2]) and arrays of
// tables ([[servers]], addressed by index: servers.0.host). Only existing scalar values
// (strings, integers, floats, booleans, dates and times) can be replaced: a missing key, a bad
// index or one past the end is Errored with reason KeyPathNotFound, a key naming a table or an
// array with reason KeyPathNotScalar.
//
// New values are written in TOML notation: strings as literal strings ('1.2.3') when they can
// be, else as basic strings with escapes; numbers arrive from the config as JSON numbers and
// are written as floats (42.0); booleans as true or false.
//
// The step outputs commitMessage, "Updated <path>\n" followed by "\n- <key>: <value>" per
// update, values in TOML notation.
package tomlupdate
