// Package steps defines what a promotion step is: the Step interface every step kind
// implements, the Context a step runs with, how its outcome is classified, and the Registry an
// executor serves its steps from.
package steps
