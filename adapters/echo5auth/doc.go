// Package echo5auth protects routes of an echo v5 server
// (github.com/labstack/echo/v5) with bearer access tokens checked by an
// authz.Validator. It wraps a nethttp.Guard, so it takes the nethttp
// options and answers with the same statuses and headers as every other
// HTTP adapter of jwtguard. Its API is that of package echoauth, the
// adapter for echo v4, with echo v5's *echo.Context in place of v4's
// echo.Context interface: moving a service from v4 to v5 changes the
// import path and nothing else.
//
// One line per route declares who may call it:
//
//	e := echo.New()
//	e.GET("/messages", list, echo5auth.Require(v, authz.RequireScopes("read:messages")))
//	e.POST("/messages", post, echo5auth.Require(v, authz.RequireScopes("read:messages", "write:messages")))
//
//	func list(c *echo.Context) error {
//		claims, _ := echo5auth.ClaimsFromContext(c)
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
// and the middleware returns an *echo.HTTPError with that status and the
// status text as message, wrapping the cause (echo v5's HTTPError.Wrap):
// echo's HTTPErrorHandler writes the body ({"message":"Unauthorized"} by
// default, which leaves the cause out) and can tell the causes apart with
// errors.Is (authz.ErrInvalidToken, authz.ErrForbidden,
// authz.ErrKeysUnavailable, nethttp.ErrInvalidRequest). That handler is
// the place to answer in another form. With nethttp.WithErrorHandler, that
// handler writes the response instead and the middleware returns nil.
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
// It is a module of its own, so that echo v5 enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/adapters/echo5auth
package echo5auth
