// Package pipeline holds the rules that turn Stages into a pipeline (docs/resources.md#stage
// and #promotion-policies): which Freight is available to a Stage, which Stages auto-promote, and which
// Freight auto-promotion picks. It is pure: callers read the resources and act on the answers.
package pipeline
