// Package copystep implements the copy step: it copies a file to a file, or merges a
// directory into another, inside the workspace.
//
// Example:
//
//	steps:
//	- uses: copy
//	  config:
//	    inPath: ./out/manifests
//	    outPath: ./src/envs/prod
//	    ignore: |
//	      *.md
//	      /tests/
//
// A file is copied to the file outPath names. A directory's contents are merged into outPath:
// files are created or overwritten, files already there and not in inPath stay. Symlinks are
// not copied, .git is always skipped, and ignore takes .gitignore patterns relative to inPath.
// File modes are kept. Both paths must stay inside the workspace, also through symlinks;
// copying a directory into itself or between a file and a directory is a config error. The
// step has no output.
package copystep
