// Command chi shows jwtguard protecting a chi router (package
// adapters/chiauth), with nothing to set up: it starts an in-process
// OpenID Connect issuer (authztest) and an API with three routes, each
// declaring who may call it in one line:
//
//	GET  /rooms/{room}/messages     scope read:messages
//	POST /rooms/{room}/messages     scopes read:messages and write:messages
//	GET  /tenants/{tenant}/settings role admin in the tenant of the path
//
// Then it calls the API and prints, for each call, the status and the
// body or the reason the WWW-Authenticate header gives; successful calls
// show the route pattern the guard recorded:
//
//	go -C examples/chi run .   # from the repository root: a module of its own
//
// It exits with status 1 if any answer is not the expected one.
package main
