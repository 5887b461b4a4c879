package v1

import "time"

// Audit results.
const (
	// AuditAllowed marks a request or command Dray accepted and carried out (its status may
	// still be an error the handler answered, e.g. 422 for a Freight that does not exist).
	AuditAllowed = "allowed"
	// AuditRefused marks a request refused for its credentials (401) or its role (403), or a
	// command the scheduler or warehouse rejected.
	AuditRefused = "refused"
)

// Audit sources.
const (
	// AuditSourceAPI marks a record of the gateway: its actor is the identity the gateway
	// authenticated, so it is authoritative.
	AuditSourceAPI = "api"
	// AuditSourceBus marks a record of a command read from NATS: its actor is what the
	// command's publisher wrote (claimed, not proved, until NATS authorization names the
	// publisher).
	AuditSourceBus = "bus"
)

// AuditRecord is one entry of the audit trail, published on dray.audit.<project>.<verb> (the
// DRAY_AUDIT stream): who asked what on which resource, from where, and what Dray answered.
// It holds names, never a request body, a token or a secret value.
type AuditRecord struct {
	// ID is the record's deduplication ID (its Nats-Msg-Id): api/<request ID> or
	// bus/<command stream sequence>.
	ID string `json:"id"`
	// Time is when Dray decided.
	Time time.Time `json:"time"`
	// Source is api (the gateway) or bus (a command read from NATS).
	Source string `json:"source"`
	// Actor is who asked: the authenticated identity (e.g. token:demo/ci) on the API,
	// anonymous for a request without valid credentials, and the command's actor field on the
	// bus.
	Actor string `json:"actor"`
	// Verb is what was asked, e.g. promote, apply, approve, update, delete; on the bus the
	// command's verb.
	Verb string `json:"verb"`
	// Resource is the kind of resource asked about, by its plural name (stages, tokens).
	Resource string `json:"resource,omitempty"`
	// Project is the project of the resource; empty for the system (system-admin tokens).
	Project string `json:"project,omitempty"`
	// Name is the resource's name, when the request names one.
	Name string `json:"name,omitempty"`
	// Method and Path are the HTTP request's (API records only).
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// RemoteAddr and UserAgent say where an API request came from.
	RemoteAddr string `json:"remoteAddr,omitempty"`
	UserAgent  string `json:"userAgent,omitempty"`
	// Result is allowed or refused.
	Result string `json:"result"`
	// Status is the HTTP status answered (API records only).
	Status int `json:"status,omitempty"`
	// Reason says why a request was refused, or why a carried-out request failed.
	Reason string `json:"reason,omitempty"`
	// Override names the safeguard an allowed request bypassed, e.g. promotion-windows for a
	// promote with --override-window outside its Stage's promotion windows; empty when none.
	Override string `json:"override,omitempty"`
}

// OverridePromotionWindows is AuditRecord.Override for a Promotion started outside its
// Stage's promotion windows.
const OverridePromotionWindows = "promotion-windows"

// AuditList is one page of the audit trail, oldest first.
type AuditList struct {
	Records []AuditRecord `json:"records"`
	// Continue, when set, is passed back as ?continue= to read the next page.
	Continue string `json:"continue,omitempty"`
}
