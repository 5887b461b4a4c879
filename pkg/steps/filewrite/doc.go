// Package filewrite implements the file-write step: it writes a file in the workspace with the
// given contents, often built with asYAML() or asJSON().
//
// Example:
//
//	steps:
//	- uses: file-write
//	  config:
//	    path: ./src/envs/prod/release.json
//	    contents: ${{ asJSON({"image": imageFrom("ghcr.io/example/app").Tag}) }}
//	    permissions: "0644"
//	    overwrite: true
//
// The whole file is replaced, atomically, and parent directories are created. permissions is
// an octal mode matching ^0[0-7]{3}$ (default 0600); execute bits and world-writable modes are
// rejected. Without overwrite an existing file is Errored, except when it already holds
// exactly these contents and this mode, so that a job delivered twice succeeds twice. Writing
// into .git, through a symlink (the file or a directory on the way) or outside the workspace
// is rejected as a terminal error. The step has no output.
package filewrite
