// Package schemas embeds the JSON Schemas of every Dray resource, message, event and step
// config. Outsiders can build clients from these files alone; Dray validates manifests and step
// configs against them.
package schemas
