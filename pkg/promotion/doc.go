// Package promotion holds the promotion state machine as pure functions: New builds a
// Promotion from a Stage and a Freight, Record applies one step result to it (the state
// service), and Next says what must happen next (the scheduler). Nothing here does I/O, so
// the scheduler drives it over NATS and dray run drives it in a local loop.
package promotion
