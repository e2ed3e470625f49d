// Package chiauth protects routes of a chi router (github.com/go-chi/chi/v5)
// with bearer access tokens checked by an authz.Validator. chi middleware
// is net/http middleware, so chiauth is a thin layer over package nethttp:
// the same options, token extractors, statuses and WWW-Authenticate
// challenges, the claims read back with nethttp.ClaimsFromContext. What it
// adds is what chi knows about the request:
//
//   - the route pattern ("/tenants/{tenant}/settings"), in the context of
//     Validate (and so of authz hooks), of the policies, of a
//     nethttp.WithErrorHandler handler and of the next handler: see
//     RoutePatternFromContext;
//   - a tenant taken from a URL parameter, for authz's tenant policies:
//     TenantFromURLParam.
//
// One line per route declares who may call it:
//
//	r := chi.NewRouter()
//	r.With(chiauth.Require(v, authz.RequireScopes("read:messages"))).Get("/messages", list)
//	r.With(chiauth.Require(v, authz.RequireScopes("read:messages", "write:messages"))).Post("/messages", post)
//
// New builds a Guard whose options (realm, extractor, error handler,
// tenant) are shared by every route, each adding its own policies with
// Guard.Require:
//
//	auth, err := chiauth.New(v, nethttp.WithRealm("chat"))
//	...
//	r.With(auth.Require(authz.RequireScopes("read:messages"))).Get("/messages", list)
//
// # Where the middleware goes
//
// chi runs a router's Use middleware before it matches a route, and the
// middleware of With, Group and a route's own chain after. So the route
// pattern and the URL parameters are known to the Guard when it is placed
// with r.With(...) or r.Group(func(r chi.Router) { r.Use(...) }), for
// routes on the router itself or inside r.Route and r.Mount. In a
// router's Use they are not: on the root router the pattern is empty, and
// in the Use of a subrouter (r.Route("/api", ...)) it is only the mount
// point ("/api/*"), with only the parameters of the mount pattern. A
// tenant policy fed by TenantFromURLParam then denies, since the tenant is
// not known yet: it fails closed.
//
// It is a module of its own, so that chi enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/adapters/chiauth
package chiauth
