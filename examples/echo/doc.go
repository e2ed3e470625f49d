// Command echo shows jwtguard protecting an echo v4 server (package
// adapters/echoauth), with nothing to set up: it starts an in-process
// OpenID Connect issuer (authztest) and an API with three routes, each
// declaring who may call it in one line:
//
//	GET  /rooms/:room/messages     scope read:messages
//	POST /rooms/:room/messages     scopes read:messages and write:messages
//	GET  /tenants/:tenant/settings role admin in the tenant of the path
//
// Then it calls the API and prints, for each call, the status, the body
// (echo's JSON for a rejection) and the WWW-Authenticate header:
//
//	go -C examples/echo run .   # from the repository root: a module of its own
//
// It exits with status 1 if any answer is not the expected one.
package main
