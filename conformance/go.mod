module github.com/jwtguard/jwtguard/conformance

go 1.26.8

replace github.com/jwtguard/jwtguard => ../

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
)
