// Package keystore defines the small storage interface behind jwtguard's key
// cache, and the optional capabilities a store may add for fleet coordination.
//
// A Store holds opaque documents (jwtguard writes one per issuer: the raw JWKS
// plus the time it was fetched and how long it stays fresh) under string keys,
// each with a time to live. jwtguard keeps the parsed keys in process; the
// Store is read only when an issuer's keys are missing or due for refresh, so
// a slow store never slows the hot path.
//
// Extra capabilities are separate small interfaces, found by type assertion:
// [Locker] (a lock with expiry, so that one replica fetches while the others
// wait), [Notifier] (announcing that a document changed) and [Pinger] (a
// health check).
//
// Two stores ship with jwtguard: package keystore/memory (in process, the
// default) and package keystore/redisstore (shared by a fleet of replicas).
//
// The package imports only the standard library, so that third-party stores
// can implement it without pulling in jwtguard's dependencies. The
// conformance suite in package keystore/keystoretest checks any
// implementation; both shipped stores pass it.
package keystore
