module github.com/jwtguard/jwtguard/conformance

go 1.26.8

replace github.com/jwtguard/jwtguard => ../

require (
	github.com/c2sp/wycheproof v0.0.0-20260625212325-ee7b4f7e6119
	github.com/go-json-experiment/json v1.27.2
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
)

require (
	filippo.io/bigmod v0.1.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
