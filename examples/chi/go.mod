module github.com/jwtguard/jwtguard/examples/chi

go 1.26.8

replace github.com/jwtguard/jwtguard => ../..

replace github.com/jwtguard/jwtguard/adapters/chiauth => ../../adapters/chiauth

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
	github.com/jwtguard/jwtguard/adapters/chiauth v0.0.0-00010101000000-000000000000
)

require (
	filippo.io/bigmod v0.1.0 // indirect
	golang.org/x/sys v0.11.0 // indirect
)
