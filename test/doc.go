// Package test holds Dray's end-to-end tests (test/e2e) and its load driver (test/bench).
package test
