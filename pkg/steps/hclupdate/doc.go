// Package hclupdate implements the hcl-update step: it sets attributes in an HCL file, such as
// Terraform configuration, by a dot path that follows the file's block structure, rewriting
// only the bytes of each old value so that comments, layout and other blocks survive.
//
// Example:
//
//	steps:
//	- uses: hcl-update
//	  config:
//	    path: ./infra/prod/main.tf
//	    updates:
//	    - key: resource.aws_lambda_function.app.image_uri
//	      value: ${{ imageFrom("ghcr.io/example/app").RepoURL }}:${{ imageFrom("ghcr.io/example/app").Tag }}
//	    - key: resource.aws_lambda_function.app.memory_size
//	      value: 512
//
// Keys use the key-path syntax of package keypath (\. escapes a dot, e.g. in a label). A key
// is read from the left: a part that names an attribute of the current body, and is the last
// part, is the attribute to set; otherwise the part is a block type, and the block's labels
// follow as the next parts (resource.aws_lambda_function.app names
// resource "aws_lambda_function" "app" { … }). When several blocks have the same type and
// labels, such as repeated ingress blocks, the next part is a zero-based index among them
// (resource.aws_security_group.web.ingress.1.from_port). So image_uri is a top-level
// attribute, module.app.image_tag one in a module block, and
// resource.aws_ecs_task_definition.app.volume.efs_volume_configuration.root_directory one in
// nested blocks.
//
// An existing attribute's whole value expression is replaced, whatever it was (a literal, a
// reference, a template, a heredoc). A missing attribute in an existing block (or at the top
// level) is added at the end of that body, indented like its other items. A missing block is
// Errored with reason KeyPathNotFound; a key that stops at a block with KeyPathNotAttribute; a
// key that matches several blocks without an index with KeyPathAmbiguous.
//
// Values are written by github.com/hashicorp/hcl/v2/hclwrite: strings quoted and escaped
// (${ and %{ are escaped, so a value is never read as a template), booleans as true or false,
// numbers as they are (42, 0.25). The file is parsed with hclsyntax, which gives the exact
// byte range of every expression; every other byte is kept. The result must parse again, else
// the step fails and the file is left as it was. HCL's JSON syntax (.tf.json) is not
// supported.
//
// The step outputs commitMessage, "Updated <path>\n" followed by "\n- <key>: <value>" per
// update, values in HCL notation.
package hclupdate
