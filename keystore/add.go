package keystore

import (
	"context"
	"time"
)

// Adder is an optional capability of a Store: remember that key was seen,
// for ttl, unless it already is. jwtguard uses it to refuse a replayed
// DPoP proof (RFC 9449 §11.1) on every replica that shares the store.
//
// Add reports added = true when key was absent (or expired) and is now
// held for ttl, false when it was held already. The test and the set are
// one atomic step: of concurrent Adds of one key, across every process
// sharing the store, exactly one reports true. ttl must be positive. Keys
// share no namespace with Put's documents or TryLock's locks.
type Adder interface {
	Add(ctx context.Context, key string, ttl time.Duration) (added bool, err error)
}
