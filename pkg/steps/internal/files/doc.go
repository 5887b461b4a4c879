// Package files holds what the file and manifest steps share: confining a configured path to
// the workspace, classifying errors of the workspace's os.Root, writing a file atomically, and
// matching .gitignore-style ignore lists.
package files
