// Package audit appends to and reads Dray's audit trail, the DRAY_AUDIT stream: one record per
// decision on a mutating API request or a bus command (pkg/bus/README.md, "The audit trail").
package audit
