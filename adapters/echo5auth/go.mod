module github.com/jwtguard/jwtguard/adapters/echo5auth

go 1.26.8

replace github.com/jwtguard/jwtguard => ../..

require (
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
	github.com/labstack/echo/v5 v5.4.4
)

require (
	filippo.io/bigmod v0.1.0 // indirect
	golang.org/x/sys v0.11.0 // indirect
)
