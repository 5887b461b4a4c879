// Package preview runs a Promotion so that nothing leaves the machine, to show what it would
// change: git-clone, git-commit and the file steps run for real in a scratch directory,
// git-push only records the diff it would push, and steps that could act elsewhere are
// skipped. `dray run --diff` (README.md) and the UI's promote preview (docs/ui.md) both use
// it.
package preview
