// Package deletestep implements the delete step: it removes files and directories from the
// workspace.
//
// Example:
//
//	steps:
//	- uses: delete
//	  config:
//	    paths:
//	    - ./src/envs/prod/**/*.bak
//	    - ./out
//	    pathsAreGlobs: true
//
// Exactly one of path and paths is set. Directories are removed recursively; a symlink is
// removed itself, never what it points to. With pathsAreGlobs the values are doublestar
// globs relative to the workspace (a ./ prefix is allowed, ** does not follow symlinks); a bad
// glob is a config error. A missing path, or a glob that matches nothing, is ignored unless
// strict is set, when it is Errored. Every path is resolved before anything is removed, so a
// path that escapes the workspace fails the step with nothing deleted; the workspace itself
// cannot be deleted. The step has no output.
package deletestep
