// Package promote turns a promote request into a new Promotion from the Stage and Freight
// stored in NATS.
package promote
