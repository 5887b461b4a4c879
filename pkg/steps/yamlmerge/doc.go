// Package yamlmerge implements the yaml-merge step: it merges YAML files left to right into
// one, keeping the first file's comments, key order and indentation.
//
// Example:
//
//	steps:
//	- uses: yaml-merge
//	  config:
//	    inFiles:
//	    - ./src/base/values.yaml
//	    - ./src/envs/prod/values.yaml
//	    outFile: ./out/values.yaml
//
// Merge rules (docs/steps/yaml-merge.md): a later scalar overrides; maps merge recursively; lists are
// replaced wholesale; keys only in one side are kept, new keys after the existing ones; an
// explicit null in a later file removes the key. Only the first document of each file is read,
// and empty files are skipped. With no usable input the output file is empty. A missing input
// is Errored unless ignoreMissingFiles is set.
//
// The output is re-encoded: the first file's comments and key order survive, and its
// indentation (and whether its lists sit at their key's indentation) is detected and kept;
// quoting and flow style of the first file's scalars survive as well. Blank lines are not
// kept. Values that come from a
// later file carry that file's comments.
//
// The step outputs commitMessage: "Wrote <in> to <out>" for one input, else
// "Merged N YAML files to <out>" followed by "\n- <in>" per input read.
package yamlmerge
