// Package steptest helps test steps: it builds a step Context over a temporary workspace,
// runs golden cases kept as testdata/<case>.txtar, checks that a step's Config struct and
// its JSON Schema name the same fields, and runs the conformance suite every step passes
// (Conformance).
package steptest
