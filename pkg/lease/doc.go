// Package lease hands out exclusive, expiring leases on keys of a NATS KV bucket, so that
// processes on different machines can take turns at something, e.g. pushing to one branch of
// one repository.
//
// A lease is a key created with KV Create (which fails while someone holds it) and given
// back with a Delete on the revision the holder wrote, so that a holder never removes a lease
// that has since passed to someone else. The bucket's TTL bounds how long a crashed holder
// keeps a lease; a live holder renews its lease well within it. Waiters watch the key rather
// than poll it, and try again as soon as it is deleted or expires.
package lease
