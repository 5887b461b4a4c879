// Package gittest starts a real Git smart-HTTP server (gitserver, `git http-backend`) on
// loopback for tests, creates repositories on it and reads what was pushed.
package gittest
