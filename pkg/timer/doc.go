// Package timer runs a service's delayed work, one timer per key, with the context of the
// service's Run: work due when the service stops is dropped, and stopping stops every timer.
package timer
