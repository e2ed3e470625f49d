// Package echoauth protects routes of an echo v4 server
// (github.com/labstack/echo/v4) with bearer access tokens checked by an
// authz.Validator. It wraps a nethttp.Guard, so it takes the nethttp
// options and answers with the same statuses and headers as every other
// HTTP adapter of jwtguard; echo v5 (github.com/labstack/echo/v5) is not
// covered.
//
// One line per route declares who may call it:
//
//	e := echo.New()
//	e.GET("/messages", list, echoauth.Require(v, authz.RequireScopes("read:messages")))
//	e.POST("/messages", post, echoauth.Require(v, authz.RequireScopes("read:messages", "write:messages")))
//
//	func list(c echo.Context) error {
//		claims, _ := echoauth.ClaimsFromContext(c)
//		return c.String(http.StatusOK, "hello "+claims.Subject)
//	}
//
// New builds a Guard whose options are shared by every route, each adding
// its own policies with Guard.Require; its Middleware method is an
// echo.MiddlewareFunc for e.Use or e.Group.
//
// # Responses
//
// A rejected request gets the status of nethttp.Status, its
// WWW-Authenticate challenge (or Retry-After for 503) set on the response,
// and the middleware returns an *echo.HTTPError with that status, the
// status text as message and the cause as Internal: echo's
// HTTPErrorHandler writes the body (JSON by default) and can tell the
// causes apart with errors.Is (authz.ErrInvalidToken, authz.ErrForbidden,
// authz.ErrKeysUnavailable, nethttp.ErrInvalidRequest). With
// nethttp.WithErrorHandler, that handler writes the response instead and
// the middleware returns nil.
//
// # Claims and tenants
//
// The claims of an authorized request are in the echo.Context (read them
// with ClaimsFromContext) and in its request's context
// (nethttp.ClaimsFromContext). TenantFromParam names the tenant of a
// request after a path parameter, for authz's tenant policies. echo
// matches the route before it runs the middleware of e.Use, of a group
// and of a route, so the parameter is known there (but not in e.Pre).
//
// It is a module of its own, so that echo enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/adapters/echoauth
package echoauth
