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
// an object key). The edit is line based, as in Kargo (docs/steps/yaml-update.md):
//
//   - Only the first document of the file is searched, and only existing scalar values can be
//     set. A missing key, a non-numeric index into a list or an index past its end is Errored
//     with reason KeyPathNotFound; a key that names a map, a list or an alias is Errored with
//     reason KeyPathNotScalar.
//   - On each addressed line the text up to the old value is kept, followed by one space and
//     the new value; anything after the old value on that line (a "# comment") is dropped.
//     The old quoting style is not kept. A block scalar has only its first line replaced, and
//     of two updates on one line (flow style) only the last is kept.
//   - Strings that parse as a number or a boolean, or that are valid JSON, are written in
//     double quotes ("42", "true"); other strings are written as they are, unquoted (so a
//     string holding ": " or " #" yields wrong YAML, "" writes a null, and yes, off or ~ are
//     written raw). Numbers and booleans are written with Go's %v (1e+06 for a million).
//   - Line endings become LF, the file ends with a newline, and lines longer than 1 MiB are
//     an error.
//   - An anchor on the old value (&name) is kept, so aliases of it stay valid.
//
// The step outputs commitMessage, "Updated <path>\n" followed by "\n- <key>: <value>" for each
// update, values rendered as above, for git-commit to use.
package yamlupdate
