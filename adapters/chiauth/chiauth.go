package chiauth

import (
	"context"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// Guard authorizes the requests of chi routes. It is a nethttp.Guard that
// also records the chi route pattern in the request context. A Guard is
// safe for concurrent use.
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

// Middleware returns chi middleware that lets a request through only with
// a valid token that satisfies every policy (nethttp.WithPolicy), and
// answers everything else as package nethttp documents. It panics where
// New returns an error: configuration is checked once, when routes are
// built.
func Middleware(v *authz.Validator, opts ...nethttp.Option) func(http.Handler) http.Handler {
	g, err := New(v, opts...)
	if err != nil {
		panic(err)
	}
	return g.Handler
}

// Require returns chi middleware that lets a request through only with a
// valid token that satisfies every one of policies, checked in order; with
// no policies, any valid token passes. It is Middleware with a
// nethttp.WithPolicy per policy, for the common case:
//
//	r.With(chiauth.Require(v, authz.RequireScopes("read:messages", "write:messages"))).Post("/messages", post)
//
// It panics on a nil Validator or a nil policy.
func Require(v *authz.Validator, policies ...authz.Policy) func(http.Handler) http.Handler {
	return Middleware(v, policyOptions(policies)...)
}

// Require returns middleware with g's options and, in addition, every one
// of policies (after the policies of g's options). It panics on a nil
// policy.
func (g *Guard) Require(policies ...authz.Policy) func(http.Handler) http.Handler {
	return Middleware(g.v, append(slices.Clip(g.opts), policyOptions(policies)...)...)
}

func policyOptions(policies []authz.Policy) []nethttp.Option {
	opts := make([]nethttp.Option, len(policies))
	for i, p := range policies {
		opts[i] = nethttp.WithPolicy(p)
	}
	return opts
}

// Handler is the middleware: it records the route pattern chi has matched
// so far in the request context (see RoutePatternFromContext), then
// authorizes the request as nethttp.Guard.Handler does. It panics if next
// is nil.
func (g *Guard) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("chiauth: Handler(nil)")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withRoutePattern(r)
		r2, err := g.g.Authorize(r)
		if err != nil {
			g.g.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r2)
	})
}

// contextKey is the type of the package's context keys: a pointer, so no
// other package can make an equal key.
type contextKey struct{ name string }

var patternKey = &contextKey{"route pattern"}

// withRoutePattern returns r with the current route pattern in its
// context, or r itself when the pattern is not known.
func withRoutePattern(r *http.Request) *http.Request {
	var p string
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		p = rctx.RoutePattern()
	} else {
		p = r.Pattern // a Guard outside chi: net/http's pattern, if any
	}
	if p == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), patternKey, p))
}

// RoutePatternFromContext returns the chi route pattern of the request,
// such as "/tenants/{tenant}/settings", as it was when the Guard ran. It
// is in the context passed to Validate (so authz hooks see it), to the
// policies and to a nethttp.WithErrorHandler handler (in r.Context()), and
// in the next handler's. ok is false when the context did not pass
// through a Guard, or the pattern was not known yet: see the package
// documentation for where the middleware goes.
//
// The pattern holds no request data (parameters appear as "{name}"), so
// it is fit for logs and metric labels.
func RoutePatternFromContext(ctx context.Context) (pattern string, ok bool) {
	p, _ := ctx.Value(patternKey).(string)
	return p, p != ""
}

// TenantFromURLParam is a nethttp option that names the tenant of a
// request after the chi URL parameter name, for authz's tenant policies
// (authz.RequestTenant):
//
//	r.With(chiauth.Middleware(v,
//		chiauth.TenantFromURLParam("tenant"),
//		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
//	)).Get("/tenants/{tenant}/settings", settings)
//
// A route without the parameter, or a Guard that runs before chi matched
// it, has no tenant, and tenant policies deny. TenantFromURLParam panics
// if name is empty.
func TenantFromURLParam(name string) nethttp.Option {
	if name == "" {
		panic("chiauth: TenantFromURLParam with an empty name")
	}
	return nethttp.WithTenantFrom(func(r *http.Request) string { return chi.URLParam(r, name) })
}
