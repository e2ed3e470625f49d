// Command quickstart shows jwtguard protecting a net/http API, with nothing
// to set up: it starts an in-process OpenID Connect issuer (authztest), a
// Validator that keeps its keys in the memory store, and an API whose
// GET /messages route requires the scope read:messages. Then it calls the
// API five times and prints, for each call, the status and the reason the
// WWW-Authenticate header gives:
//
//	go run ./examples/quickstart
//
// It exits with status 1 if any answer is not the expected one.
package main
