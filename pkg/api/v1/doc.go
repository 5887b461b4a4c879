// Package v1 holds the Go types of every Dray resource and message: the Kargo-shaped
// resources users write (Project, Warehouse, Stage, Freight, Promotion, PromotionTask, …) and
// the messages services exchange over NATS (step jobs, step results, commands, events).
//
// The package depends on the standard library only, so that any Go client can import it.
// Every type here has a JSON Schema in the schemas module; Table lists the pairs, and the
// schemas module's tests prove that the two agree.
package v1
