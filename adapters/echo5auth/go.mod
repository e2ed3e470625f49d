module github.com/jwtguard/jwtguard/adapters/echo5auth

go 1.26.8

replace github.com/jwtguard/jwtguard => ../..

require (
	github.com/jwtguard/jwtguard v0.0.0-00010101000000-000000000000
	github.com/labstack/echo/v5 v5.4.4
)

require (
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	golang.org/x/sync v0.25.0 // indirect
)
