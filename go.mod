module github.com/jwtguard/jwtguard

go 1.26.8

require (
	filippo.io/bigmod v0.1.0
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/google/go-cmp v0.7.0
)

require golang.org/x/sys v0.11.0 // indirect
