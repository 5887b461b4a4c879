// Package steps defines what a promotion step is: the Step interface every step kind
// implements, the Context a step runs with, how its outcome is classified, and the Registry an
// executor serves its steps from.
//
// A step package lives in pkg/steps/<name>; what several steps share lives in
// pkg/steps/internal, never in another step. A new step is registered in its executor
// service's New, says its executor in its Info, and runs steptest.Conformance in its tests;
// then go generate ./pkg/steps updates the tables ExecutorFor and DefaultTimeout read
// (executors_gen.go).
package steps
