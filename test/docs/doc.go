// Package docs checks the repository's documentation as a whole: that nothing cites files
// outside the repository, and that every link into docs/ and every docs page's links lead to
// a file and heading that exist.
package docs
