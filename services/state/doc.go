// Package state is the state service: the single writer of recorded state. It consumes step
// results and promotion records from DRAY_RESULTS, applies each to the Promotion in the
// dray-promotions bucket with compare-and-set, and publishes the promotion.* events that the
// scheduler and outside subscribers react to. Recording is idempotent, so a redelivered
// result is recorded once and its event, re-sent with the same ID, is stored once. What a
// record changes in a Stage or a Freight (the queue, pause and windows, history, holds,
// verification, approvals) pkg/stage decides; this service reads, asks it, writes with
// compare-and-set and announces.
package state
