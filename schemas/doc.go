// Package schemas embeds the JSON Schemas of every Dray resource, message, event, step config
// and step's outputs. Outsiders can build clients from these files alone; Dray validates
// manifests and step configs against them.
package schemas
