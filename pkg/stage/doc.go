// Package stage holds the Stage's rules as pure functions of its status and what happened:
// the queue of Promotions, pause and promotion windows, what follows a finished Promotion
// (Freight history, auto-promotion holds, verification and its wait for health), approvals,
// and which Freight auto-promotion picks next. Nothing here does I/O: the state service reads
// a status, asks this package what changes, writes it with compare-and-set and announces it;
// the scheduler asks it what to auto-promote.
package stage
