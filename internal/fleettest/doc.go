// Package fleettest holds the tests that run a fleet of authz.Validator
// replicas over one shared Redis (keystore/redisstore) and one counting identity
// provider (authztest): one IdP fetch per rotation for the whole fleet, the
// shared unknown-kid cooldown, warm start from Redis, announcements, and
// what happens when Redis or the IdP fails. It has no API; its tests are the
// point:
//
//	scripts/test.sh internal/fleettest   # it is a module of its own (it imports go-redis)
//	cd internal/fleettest && REDIS_ADDR=127.0.0.1:6379 go test -race .
//
// Every test runs against a miniredis and against a real Redis: the one at
// REDIS_ADDR, under a random key prefix that it removes afterwards, or,
// when REDIS_ADDR is unset, a throwaway redis-server (internal/redistest).
// The fault tests start, kill and pause redis-server processes of their own
// on free loopback ports. Without redis-server installed, the real-Redis
// tests skip, naming it.
package fleettest
