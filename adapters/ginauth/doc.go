// Package ginauth protects routes of a gin engine
// (github.com/gin-gonic/gin) with bearer access tokens checked by an
// authz.Validator. It wraps a nethttp.Guard, so it takes the nethttp
// options and answers with the same statuses, WWW-Authenticate challenges
// and Retry-After as every other HTTP adapter of jwtguard.
//
// One line per route declares who may call it:
//
//	r := gin.New()
//	r.GET("/messages", ginauth.Require(v, authz.RequireScopes("read:messages")), list)
//	r.POST("/messages", ginauth.Require(v, authz.RequireScopes("read:messages", "write:messages")), post)
//
//	func list(c *gin.Context) {
//		claims, _ := ginauth.ClaimsFromContext(c)
//		c.String(http.StatusOK, "hello "+claims.Subject)
//	}
//
// New builds a Guard whose options are shared by every route, each adding
// its own policies with Guard.Require; its Handle method is a
// gin.HandlerFunc for r.Use, r.Group or a route:
//
//	auth, err := ginauth.New(v, nethttp.WithRealm("chat"))
//	...
//	api := r.Group("/api", auth.Handle)
//	api.POST("/messages", auth.Require(authz.RequireScopes("write:messages")), post)
//
// # Responses
//
// A rejected request is aborted (c.Abort: no later handler of the chain
// runs), its cause recorded with c.Error (a private gin error, which
// gin's Logger prints and which is never sent), and answered as package
// nethttp answers: the status of nethttp.Status, the WWW-Authenticate
// challenge (or Retry-After for 503), and the status text as a plain-text
// body. WithErrorHandler lets a gin handler write another answer (JSON,
// say), with the status and headers already set; nethttp.WithErrorHandler
// works too, on c.Writer and c.Request.
//
// # Claims and tenants
//
// The claims of an authorized request are in the gin.Context (read them
// with ClaimsFromContext; they survive c.Copy) and in its request's
// context (nethttp.ClaimsFromContext(c.Request.Context()); with gin's
// Engine.ContextWithFallback, nethttp.ClaimsFromContext(c) as well).
// TenantFromParam names the tenant of a request after a path parameter,
// for authz's tenant policies. gin matches the route before it runs any
// handler of the chain, those of r.Use and of groups included, so the
// parameter is always known to the Guard.
//
// It is a module of its own, so that gin enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/adapters/ginauth
package ginauth
