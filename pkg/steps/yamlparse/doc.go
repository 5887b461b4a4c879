// Package yamlparse implements the yaml-parse step: it reads a YAML file and outputs values
// computed from it by bare expr-lang expressions.
//
// Example:
//
//	steps:
//	- uses: yaml-parse
//	  as: values
//	  config:
//	    path: ./src/charts/app/values.yaml
//	    outputs:
//	    - name: tag
//	      fromExpression: image.tag
//	    - name: replicas
//	      fromExpression: replicaCount ?? 1
//
// Later steps read ${{ outputs.values.tag }}. The file's first document is decoded with
// JSON semantics (numbers become floats) and the keys of its root object are the expression's
// variables, so expressions say image.tag, not outputs.image.tag. $env is the root itself, so
// a document whose root is a list or a plain value is read with $env[0], len($env) or $env.
// Kargo's name for such a root, root (root[0]), works too. A missing leaf is nil; a missing
// intermediate key is an error, so use ?. and ?? for optional keys. An empty file, YAML that
// does not parse, and an expression that does not compile or fails are Errored, with a
// message in Kargo's words that names the file, the output and the expression: "failed to
// extract outputs from YAML file "values.yaml": output "tag" (config.outputs[0]): error
// evaluating expression "image.tag.x": …". The step only reads the workspace.
package yamlparse
