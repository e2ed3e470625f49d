package ginauth

import (
	"context"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// Guard authorizes the requests of gin routes. A Guard is safe for
// concurrent use.
type Guard struct {
	v    *authz.Validator
	opts []nethttp.Option
	g    *nethttp.Guard
}

// New returns a Guard for v with the nethttp options opts (and those of
// this package: TenantFromParam, WithErrorHandler). It fails where
// nethttp.New fails: on a nil Validator or an invalid option, so that a
// misconfigured route is found at start-up.
func New(v *authz.Validator, opts ...nethttp.Option) (*Guard, error) {
	g, err := nethttp.New(v, opts...)
	if err != nil {
		return nil, err
	}
	return &Guard{v: v, opts: slices.Clone(opts), g: g}, nil
}

// Middleware returns a gin.HandlerFunc that lets a request through only
// with a valid token that satisfies every policy (nethttp.WithPolicy), and
// aborts everything else as the package documentation says. It panics
// where New returns an error: configuration is checked once, when routes
// are built.
func Middleware(v *authz.Validator, opts ...nethttp.Option) gin.HandlerFunc {
	g, err := New(v, opts...)
	if err != nil {
		panic(err)
	}
	return g.Handle
}

// Require returns a gin.HandlerFunc that lets a request through only with
// a valid token that satisfies every one of policies, checked in order;
// with no policies, any valid token passes. It is Middleware with a
// nethttp.WithPolicy per policy:
//
//	r.POST("/messages", ginauth.Require(v, authz.RequireScopes("read:messages", "write:messages")), post)
//
// It panics on a nil Validator or a nil policy.
func Require(v *authz.Validator, policies ...authz.Policy) gin.HandlerFunc {
	return Middleware(v, policyOptions(policies)...)
}

// Require returns a gin.HandlerFunc with g's options and, in addition,
// every one of policies (after the policies of g's options). It panics on
// a nil policy.
func (g *Guard) Require(policies ...authz.Policy) gin.HandlerFunc {
	return Middleware(g.v, append(slices.Clip(g.opts), policyOptions(policies)...)...)
}

func policyOptions(policies []authz.Policy) []nethttp.Option {
	opts := make([]nethttp.Option, len(policies))
	for i, p := range policies {
		opts[i] = nethttp.WithPolicy(p)
	}
	return opts
}

// Handle is the middleware, a gin.HandlerFunc for r.Use, r.Group or a
// route: it authorizes c.Request with nethttp.Guard.Authorize and, on
// success, sets the claims in c (ClaimsFromContext) and in c.Request's
// context (nethttp.ClaimsFromContext) and calls c.Next. On failure it
// records the cause with c.Error, answers and calls c.Abort, so no later
// handler of the chain runs.
func (g *Guard) Handle(c *gin.Context) {
	// The gin.Context is in the request's context while the Guard works,
	// for TenantFromParam and WithErrorHandler, which see only the
	// request. gin reuses a Context once the request is done: ref is
	// emptied before anything else runs, so nothing can reach c later.
	ref := &ginRef{c: c}
	r := c.Request.WithContext(context.WithValue(c.Request.Context(), ginContextKey, ref))
	r2, err := g.g.Authorize(r)
	if err != nil {
		g.reject(c, r, err)
		ref.c = nil
		return
	}
	ref.c = nil
	if claims, ok := nethttp.ClaimsFromContext(r2.Context()); ok {
		c.Set(claimsKey, claims)
		c.Request = r2
	}
	c.Next()
}

// reject answers a request Authorize refused. The status is set first, so
// that an error handler that writes only a body still sends it; then
// nethttp.Guard.Reject sets the headers and runs a WithErrorHandler
// handler, if any; otherwise the body is the status text, as nethttp
// writes it.
func (g *Guard) reject(c *gin.Context, r *http.Request, err error) {
	c.Abort()
	_ = c.Error(err) // gin.ErrorTypePrivate: for logs, never sent
	c.Status(nethttp.Status(err))
	status, handled := g.g.Reject(c.Writer, r, err)
	if !handled && !c.Writer.Written() {
		http.Error(c.Writer, http.StatusText(status), status)
	}
}

// contextKey is the type of the package's keys, in the request's context
// and in the gin.Context: a pointer, so no other package can make an
// equal key.
type contextKey struct{ name string }

var (
	claimsKey     = &contextKey{"claims"}
	ginContextKey = &contextKey{"gin context"}
)

// ginRef holds the gin.Context of a request while a Guard authorizes it.
type ginRef struct{ c *gin.Context }

// ginContext returns the gin.Context of r, when a Guard of this package is
// authorizing it.
func ginContext(r *http.Request) (*gin.Context, bool) {
	ref, _ := r.Context().Value(ginContextKey).(*ginRef)
	if ref == nil || ref.c == nil {
		return nil, false
	}
	return ref.c, true
}

// ClaimsFromContext returns the claims of the token the request was
// authorized with. ok is false in a request that passed anonymously
// (nethttp.Optional) or did not pass through a Guard. It reads the
// gin.Context's keys, so it works on a c.Copy() too.
func ClaimsFromContext(c *gin.Context) (*authz.Claims, bool) {
	v, _ := c.Get(claimsKey)
	claims, ok := v.(*authz.Claims)
	return claims, ok && claims != nil
}

// TenantFromParam is a nethttp option that names the tenant of a request
// after the gin path parameter name (c.Param(name)), for authz's tenant
// policies (authz.RequestTenant):
//
//	r.GET("/tenants/:tenant/settings", ginauth.Middleware(v,
//		ginauth.TenantFromParam("tenant"),
//		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
//	), settings)
//
// A route without the parameter has no tenant, and tenant policies deny.
// The option works in a Guard of this package only: elsewhere the request
// has no tenant. TenantFromParam panics if name is empty.
func TenantFromParam(name string) nethttp.Option {
	if name == "" {
		panic("ginauth: TenantFromParam with an empty name")
	}
	return nethttp.WithTenantFrom(func(r *http.Request) string {
		c, ok := ginContext(r)
		if !ok {
			return ""
		}
		return c.Param(name)
	})
}

// WithErrorHandler is a nethttp option that lets h answer a rejected
// request, the gin way: with c.JSON, c.String and the like. When h is
// called, the Guard has aborted c, recorded err with c.Error, set the
// status (nethttp.Status(err)) and the headers nethttp.WithErrorHandler
// lists (WWW-Authenticate, Retry-After), and written nothing:
//
//	ginauth.WithErrorHandler(func(c *gin.Context, err error) {
//		c.JSON(nethttp.Status(err), gin.H{"error": http.StatusText(nethttp.Status(err))})
//	})
//
// err is the error from the Extractor, Validate or a policy, for logs and
// errors.Is (authz.ErrInvalidToken, authz.ErrForbidden,
// authz.ErrKeysUnavailable, nethttp.ErrInvalidRequest); it holds no token
// contents. In a Guard of another package, which has no gin.Context, the
// answer is nethttp's: the status text as plain text. A nil h fails New.
func WithErrorHandler(h func(c *gin.Context, err error)) nethttp.Option {
	if h == nil {
		return nethttp.WithErrorHandler(nil)
	}
	return nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		c, ok := ginContext(r)
		if !ok {
			s := nethttp.Status(err)
			http.Error(w, http.StatusText(s), s)
			return
		}
		h(c, err)
	})
}
