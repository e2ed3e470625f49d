package keystore

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Store.Get when the key has no value, either
// because it was never written, was deleted, or its time to live has passed.
// Callers test for it with errors.Is; implementations may wrap it.
var ErrNotFound = errors.New("keystore: not found")

// Store is a key-value store for opaque documents with a time to live.
//
// Implementations must be safe for concurrent use. The contract:
//
//   - Keys are non-empty strings of any bytes (jwtguard's contain ':', '/'
//     and non-ASCII letters); a store that needs another alphabet encodes
//     them itself.
//   - Get returns the exact bytes last Put under key (an empty value reads
//     back as an empty slice, not as a miss), or an error that matches
//     ErrNotFound (errors.Is) when there is none or it has expired. The
//     returned slice belongs to the caller: changing it does not change the
//     stored value.
//   - Put stores a copy of value under key, replacing any earlier value and
//     its time to live. The caller may change value once Put returns. A ttl
//     of zero or less means the value does not expire; otherwise the value
//     must not be returned once ttl has passed.
//   - Delete removes key. Deleting a missing key is not an error.
//   - Every method honours ctx: it returns promptly, with ctx.Err() or an
//     error wrapping it, once ctx is done; a method called with a ctx that is
//     already done returns such an error without doing anything.
//   - Errors other than ErrNotFound mean the store could not answer; callers
//     treat them as a store outage, not as a miss.
//
// The conformance suite keystoretest.Run checks every point above.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
}

// Locker is an optional capability of a Store: a lock with expiry, used so
// that one replica in a fleet fetches an issuer's keys while the others wait
// for the shared document.
//
// TryLock tries once, without waiting, to take the lock named key for ttl. It
// reports whether the lock was taken; ok is false and err is nil when someone
// else holds it. ttl must be positive: a lock that never expires would outlive
// a crashed holder, so implementations return an error for ttl <= 0. Lock
// names are a namespace of their own: a lock named key does not touch the
// document stored under key.
//
// The returned unlock function releases the lock only if it is still held by
// this caller (it must not release a lock that expired and was taken by
// someone else); it is nil when ok is false. Calling unlock after the lock
// expired, or more than once, is harmless and returns nil; an error means the
// store could not be reached, and the lock then expires by itself. A lock
// that is never released expires by itself after ttl, which is also how
// jwtguard implements fleet-wide cooldowns.
//
// When TryLock returns an error the lock may nonetheless have been taken (the
// request reached the store but the answer was lost); it then expires after
// ttl.
type Locker interface {
	TryLock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, ok bool, err error)
}

// Notifier is an optional capability of a Store: announcing that the
// document under a key changed, so that every process watching it reloads at
// once instead of at its next refresh.
//
// Publish announces key to all subscribers, including those in other
// processes (for a store that is shared between processes). Subscribe calls
// fn with each announced key until ctx is done or the subscription fails; it
// returns once the subscription is established or failed, and delivers in the
// background, so an announcement published after Subscribe returned nil
// reaches fn. fn is called from one goroutine at a time, in the order
// announcements arrive, and should return quickly. Delivery is best-effort: a
// missed announcement only delays a reload until the next scheduled refresh.
type Notifier interface {
	Publish(ctx context.Context, key string) error
	Subscribe(ctx context.Context, fn func(key string)) error
}

// Pinger is an optional capability of a Store: a cheap health check. Ping
// returns nil when the store can answer, and an error otherwise.
type Pinger interface {
	Ping(ctx context.Context) error
}

// LockInspector is an optional capability of a Locker: how long a lock has
// left. A Validator compares it with the ttl it would set itself, so that a
// lock written by someone else with a longer ttl (forged, or left by a
// misconfigured replica) is ignored rather than obeyed for its whole life.
//
// LockTTL returns the time left before the lock named key expires, and 0
// (with a nil error) when no one holds it. A lock that never expires (which
// TryLock cannot create, but a store writer can) is reported with a negative
// duration. Lock names are those of TryLock.
type LockInspector interface {
	LockTTL(ctx context.Context, key string) (time.Duration, error)
}

// Shared is an optional capability of a Store: it declares whether
// processes other than this one can write the store (a network store such
// as Redis), or only this process can (an in-process store).
//
// A Validator given a store that is shared signs every document it writes
// and refuses documents whose signature does not check, and it refuses to
// start without a secret to sign with (see authz.WithStoreSecret) unless
// told otherwise. A Store that does not implement Shared is taken at its
// word: not shared.
type Shared interface {
	Shared() bool
}
