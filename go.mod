module github.com/jwtguard/jwtguard

go 1.26.8

require (
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/google/go-cmp v0.7.0
	golang.org/x/sync v0.25.0
)
