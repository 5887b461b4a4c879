// Package gitclear implements the git-clear step: it empties a working tree, keeping only its
// .git directory, so that the next steps can write the tree from scratch (e.g. rendered
// manifests) and git-commit records exactly what they wrote.
//
// Example:
//
//	steps:
//	- uses: git-clear
//	  config:
//	    path: out
//
// Every tracked and untracked file and directory is removed and the removals are staged; HEAD
// does not move. Symbolic links are removed, not followed. There is no output. Running the
// step again is safe: clearing an empty working tree does nothing.
package gitclear
