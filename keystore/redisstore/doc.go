// Package redisstore provides a keystore.Store backed by Redis, so that a fleet of
// replicas shares one copy of each issuer's keys, lets one replica fetch at a
// time, and hears at once when another replica stored a new document.
//
// A Store wraps a go-redis (github.com/redis/go-redis/v9) UniversalClient
// that the caller creates, owns and closes: the *Client of NewClient for a
// standalone server, the *Client of NewFailoverClient for Sentinel, or the
// *ClusterClient of NewClusterClient for Redis Cluster. Every operation touches one key, so all three work the same way.
// Besides keystore.Store it implements keystore.Locker, keystore.LockInspector,
// keystore.Notifier, keystore.Pinger and keystore.Shared.
//
// # Key layout
//
// With the default prefix "jwtguard:" (see WithPrefix), a Store uses:
//
//	jwtguard:doc:<key>    string  a document, as written by Put; PX sets its ttl
//	jwtguard:lock:<key>   string  a lock: a random token, SET NX PX by TryLock
//	jwtguard:changed      channel announcements: PUBLISH with <key> as the message
//
// <key> is the keystore key as is, byte for byte. The channel name is the
// prefix followed by "changed" unless WithChannel sets another. Values and
// tokens are plain strings, so the layout can be inspected with redis-cli.
// A lock is released by a Lua script that deletes the lock key only if it
// still holds the caller's token; the script touches that one key, so it runs
// on Redis Cluster too. Announcements use plain PUBLISH and SUBSCRIBE, which
// Redis Cluster forwards to every node.
//
// # Timeouts and failures
//
// Every call to Redis has one bound: the caller's ctx deadline or the
// operation timeout (WithTimeout, 500ms by default), whichever comes first —
// never the two stacked — so a Redis that is down or hung costs a request at
// most that. Construct the client with ContextTimeoutEnabled set, so that
// go-redis applies the deadline to the connection itself: a call whose ctx
// ends only by its deadline (every call jwtguard makes) then runs on the
// caller's goroutine and starts none. Otherwise (or for a ctx that can be
// canceled early) the Store still returns on time, but watches the call from
// a goroutine and leaves it to finish within the client's own ReadTimeout and
// WriteTimeout.
//
// # Shared and untrusted
//
// Whoever can reach the Redis can write what the Store reads, so the Store
// declares itself shared (keystore.Shared) and jwtguard authenticates every
// document it reads from it (authz.WithStoreSecret); it also reports a lock's
// remaining ttl (keystore.LockInspector, with PTTL), so that a lock someone
// else wrote with a longer ttl than jwtguard sets is ignored. Limit the
// replicas' Redis user to the prefix's keys and channel (see
// docs/keystores.md).
//
// Errors wrap the go-redis error with %w, so errors.Is and errors.As see
// through them; a missing key is reported as keystore.ErrNotFound, never as
// goredis.Nil. jwtguard treats any other error as a store outage and falls back
// to its in-process keys.
//
// A subscription made by Subscribe holds one connection of its own. go-redis
// pings it and reconnects and resubscribes by itself after a failure;
// announcements published while it is reconnecting are lost, which delays a
// reload until the next scheduled refresh. The subscription and its goroutines
// end when the ctx given to Subscribe is done.
//
// It is a module of its own, so that go-redis enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/keystore/redisstore
package redisstore
