// Package fleettest holds the tests that run a fleet of authz.Validator
// replicas over one shared Redis (keystore/redisstore) and one counting identity
// provider (authztest): one IdP fetch per rotation for the whole fleet, the
// shared unknown-kid cooldown, warm start from Redis, announcements, and
// what happens when Redis or the IdP fails. It has no API; its tests are the
// point:
//
//	go test -race ./internal/fleettest
//	REDIS_ADDR=127.0.0.1:6379 go test -race ./internal/fleettest
//
// Without REDIS_ADDR the fleet shares a miniredis. With it, every test runs
// against that Redis as well, under a random key prefix that it removes
// afterwards, and the fault tests start, kill and pause redis-server
// processes of their own on free loopback ports (redis-server must be on
// PATH).
package fleettest
