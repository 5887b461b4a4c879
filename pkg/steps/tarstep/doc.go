// Package tarstep implements the tar step: it writes a tar archive (optionally gzipped) of a
// directory or file of the workspace.
//
// Example:
//
//	steps:
//	- uses: tar
//	  config:
//	    inPath: ./out/manifests
//	    outPath: ./out/manifests.tar.gz
//	    gzip: true
//	    ignore: |
//	      *.md
//
// Entries of a directory are named relative to it; a single file is archived under its base
// name. Directories and regular files keep their mode and modification time (owners are not
// recorded); symlinks are archived when their target stays inside the archive, and left out
// otherwise, as are special files. ignore takes .gitignore patterns relative to inPath.
// outPath is overwritten atomically, and is never archived itself. The step has no output.
package tarstep
