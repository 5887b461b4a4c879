// Package yamlupdate implements the yaml-update step: it sets existing scalar values in a YAML
// file by key path, rewriting only the lines it changes so that comments, key order and
// indentation survive.
//
// Example:
//
//	steps:
//	- uses: yaml-update
//	  as: update-values
//	  config:
//	    path: ./src/charts/app/values-prod.yaml
//	    updates:
//	    - key: image.tag
//	      value: ${{ imageFrom("ghcr.io/example/app").Tag }}
//	    - key: containers.0.env.1.value
//	      value: "42"
//
// Keys use the key-path syntax of package keypath (`\.` escapes a dot, a leading ':' forces
// an object key). The edit replaces only the text of each addressed value, as Kargo's
// line-based edit does (docs/steps/yaml-update.md), but keeps what Kargo loses:
//
//   - Only the first document of the file is searched, and only existing scalar values can be
//     set. A missing key, a non-numeric index into a list or an index past its end is Errored
//     with reason KeyPathNotFound; a key that names a map, a list or an alias, or a plain value
//     written over several lines, is Errored with reason KeyPathNotScalar. The message names
//     the file, the key and the reason in Kargo's words ("error finding key image.tag: key
//     path not found: image has no key \"tag\"").
//   - Everything around the old value is kept: its anchor and tag, a trailing "# comment",
//     and the rest of a flow collection ({repo: a, tag: v1} stays whole, and two updates on
//     one line both apply). A quoted value is replaced through its closing quote, even over
//     several lines; a block scalar (| or >) is replaced whole, its content lines too. The old
//     quoting style is not kept.
//   - Strings that parse as a number or a boolean, or that are valid JSON, are written in
//     double quotes ("42", "true"), as Kargo writes them; other strings are written as they
//     are when they read back as the same string, else in double quotes: a value holding ": "
//     or " #", an empty string, ~, YAML 1.1 words such as yes or off (booleans to Helm's
//     parser), and in a flow collection a value holding , [ ] { }. Numbers and booleans are
//     written with Go's %v (1e+06 for a million).
//   - The result is parsed again before it is written: every updated key must read back as
//     the value asked for and every other value, tag, anchor and comment must be unchanged,
//     else the step is Errored with reason UpdateNotVerified and the file is left as it was.
//   - Line endings become LF, the file ends with a newline, and lines longer than 1 MiB are
//     an error.
//
// The step outputs commitMessage, "Updated <path>\n" followed by "\n- <key>: <value>" for each
// update, values rendered as above, for git-commit to use.
package yamlupdate
