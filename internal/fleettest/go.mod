module github.com/jwtguard/jwtguard/internal/fleettest

go 1.26.8

replace github.com/jwtguard/jwtguard => ../..

replace github.com/jwtguard/jwtguard/keystore/redisstore => ../../keystore/redisstore

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
	github.com/jwtguard/jwtguard/keystore/redisstore v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	filippo.io/bigmod v0.1.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/yuin/gopher-lua v1.1.1 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
