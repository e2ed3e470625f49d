package echo5auth

import (
	"context"
	"net/http"
	"slices"

	"github.com/labstack/echo/v5"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// Guard authorizes the requests of echo routes. A Guard is safe for
// concurrent use.
type Guard struct {
	v    *authz.Validator
	opts []nethttp.Option
	g    *nethttp.Guard
}

// New returns a Guard for v with the nethttp options opts. It fails where
// nethttp.New fails: on a nil Validator or an invalid option, so that a
// misconfigured route is found at start-up.
func New(v *authz.Validator, opts ...nethttp.Option) (*Guard, error) {
	g, err := nethttp.New(v, opts...)
	if err != nil {
		return nil, err
	}
	return &Guard{v: v, opts: slices.Clone(opts), g: g}, nil
}

// Middleware returns echo middleware that lets a request through only with
// a valid token that satisfies every policy (nethttp.WithPolicy), and
// rejects everything else as the package documentation says. It panics
// where New returns an error: configuration is checked once, when routes
// are built.
func Middleware(v *authz.Validator, opts ...nethttp.Option) echo.MiddlewareFunc {
	g, err := New(v, opts...)
	if err != nil {
		panic(err)
	}
	return g.Middleware
}

// Require returns echo middleware that lets a request through only with a
// valid token that satisfies every one of policies, checked in order; with
// no policies, any valid token passes. It is Middleware with a
// nethttp.WithPolicy per policy:
//
//	e.POST("/messages", post, echo5auth.Require(v, authz.RequireScopes("read:messages", "write:messages")))
//
// It panics on a nil Validator or a nil policy.
func Require(v *authz.Validator, policies ...authz.Policy) echo.MiddlewareFunc {
	return Middleware(v, policyOptions(policies)...)
}

// Require returns middleware with g's options and, in addition, every one
// of policies (after the policies of g's options). It panics on a nil
// policy.
func (g *Guard) Require(policies ...authz.Policy) echo.MiddlewareFunc {
	return Middleware(g.v, append(slices.Clip(g.opts), policyOptions(policies)...)...)
}

func policyOptions(policies []authz.Policy) []nethttp.Option {
	opts := make([]nethttp.Option, len(policies))
	for i, p := range policies {
		opts[i] = nethttp.WithPolicy(p)
	}
	return opts
}

// Middleware is the middleware, an echo.MiddlewareFunc: it authorizes the
// request with nethttp.Guard.Authorize and, on success, calls next with
// the claims in c (ClaimsFromContext) and in c.Request()'s context. It
// panics if next is nil.
func (g *Guard) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	if next == nil {
		panic("echo5auth: Middleware(nil)")
	}
	return func(c *echo.Context) error {
		r := c.Request()
		var ref *echoRef
		if len(c.PathValues()) > 0 {
			// For TenantFromParam, which sees only the request. echo
			// reuses a Context once the request is done: ref is emptied
			// before anything else runs, so nothing can reach c later.
			ref = &echoRef{c: c}
			r = r.WithContext(context.WithValue(r.Context(), echoContextKey, ref))
		}
		r2, err := g.g.Authorize(r)
		if ref != nil {
			ref.c = nil
		}
		if err != nil {
			return g.reject(c, r, err)
		}
		if claims, ok := nethttp.ClaimsFromContext(r2.Context()); ok {
			c.Set(claimsKey, claims)
			c.SetRequest(r2)
		}
		return next(c)
	}
}

// reject answers a request Authorize refused: nethttp.Guard.Reject sets
// the headers (and runs a nethttp.WithErrorHandler handler, if any);
// otherwise echo answers the *echo.HTTPError, through its HTTPErrorHandler.
func (g *Guard) reject(c *echo.Context, r *http.Request, err error) error {
	status, handled := g.g.Reject(c.Response(), r, err)
	if handled {
		return nil
	}
	if res, _ := echo.UnwrapResponse(c.Response()); res != nil && res.Committed {
		return nil
	}
	return echo.HTTPError{Code: status, Message: http.StatusText(status)}.Wrap(err)
}

// claimsKey is the echo.Context key of the claims. echo keys are strings;
// read the value with ClaimsFromContext.
const claimsKey = "github.com/jwtguard/jwtguard/adapters/echo5auth.claims"

// ClaimsFromContext returns the claims of the token the request was
// authorized with. ok is false in a request that passed anonymously
// (nethttp.Optional) or did not pass through a Guard.
func ClaimsFromContext(c *echo.Context) (*authz.Claims, bool) {
	claims, ok := c.Get(claimsKey).(*authz.Claims)
	return claims, ok && claims != nil
}

// contextKey is the type of the package's context keys: a pointer, so no
// other package can make an equal key.
type contextKey struct{ name string }

// echoContextKey holds an *echoRef in the request's context while the
// Guard authorizes it, for TenantFromParam.
var echoContextKey = &contextKey{"echo context"}

// echoRef holds the echo.Context of a request while a Guard authorizes it.
type echoRef struct{ c *echo.Context }

// TenantFromParam is a nethttp option that names the tenant of a request
// after the echo path parameter name (c.Param(name)), for authz's tenant
// policies (authz.RequestTenant):
//
//	e.GET("/tenants/:tenant/settings", settings, echo5auth.Middleware(v,
//		echo5auth.TenantFromParam("tenant"),
//		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
//	))
//
// A route without the parameter has no tenant, and tenant policies deny.
// The option works in a Guard of this package only: elsewhere the request
// has no tenant. TenantFromParam panics if name is empty.
func TenantFromParam(name string) nethttp.Option {
	if name == "" {
		panic("echo5auth: TenantFromParam with an empty name")
	}
	return nethttp.WithTenantFrom(func(r *http.Request) string {
		ref, _ := r.Context().Value(echoContextKey).(*echoRef)
		if ref == nil || ref.c == nil {
			return ""
		}
		return ref.c.Param(name)
	})
}
