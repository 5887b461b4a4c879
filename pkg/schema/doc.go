// Package schema validates documents against the JSON Schemas embedded in the schemas module
// and reports every problem with the field path it concerns.
package schema
