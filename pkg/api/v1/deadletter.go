package v1

import "time"

// DeadLetter records a message a consumer gave up on — one it could not decode, validate or
// act on, or one that failed on every delivery it was allowed — so that it is terminated
// instead of redelivered forever, and can still be looked at: published on
// dray.dead.<stream>.<consumer> in the DRAY_DEAD stream, which keeps a bounded number of them.
type DeadLetter struct {
	// Stream, Sequence and Subject say where the message was stored.
	Stream   string `json:"stream"`
	Sequence uint64 `json:"sequence"`
	Subject  string `json:"subject"`
	// Consumer is the durable consumer that gave up on it.
	Consumer string `json:"consumer"`
	// Reason is why, in CamelCase: e.g. Undecodable, Invalid, NotFound, MaxDeliveries.
	Reason string `json:"reason"`
	// Message is the error, cut short.
	Message string `json:"message"`
	// Deliveries is how often the message was delivered.
	Deliveries uint64 `json:"deliveries"`
	// Headers are the message's headers, values cut short.
	Headers map[string][]string `json:"headers,omitempty"`
	// Data is the start of the payload (base64 in JSON); Size is the whole payload's length.
	Data []byte `json:"data,omitempty"`
	Size int    `json:"size"`
	// At is when the consumer gave up.
	At time.Time `json:"at"`
}
