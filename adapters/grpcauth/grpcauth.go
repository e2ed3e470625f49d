package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// config is what the options set.
type config struct {
	policies    []authz.Policy
	methods     map[string]authz.Policy
	optionalAll bool
	optional    []string
	tenant      func(context.Context) string
	realm       string
	hideDesc    bool
	onError     func(ctx context.Context, err error) error
	errs        []error
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("grpcauth: "+format, args...))
}

// Option configures a Guard.
type Option func(*config)

// WithPolicy adds a policy that every method without a policy of its own
// (WithMethodPolicies) requires; a denial answers PermissionDenied.
// Several WithPolicy all apply, in order. A nil policy fails New.
func WithPolicy(p authz.Policy) Option {
	return func(c *config) {
		if p == nil {
			c.fail("WithPolicy(nil)")
			return
		}
		c.policies = append(c.policies, p)
	}
}

// WithMethodPolicies sets the policy of the methods that policies names,
// in place of the default (WithPolicy). A key is a full method name,
// "/package.Service/Method", or "/package.Service/*" for every method of
// a service; a method's own entry wins over its service's. A malformed
// key, a nil policy, or a key given twice (in this or another
// WithMethodPolicies) fails New. The map is copied.
func WithMethodPolicies(policies map[string]authz.Policy) Option {
	return func(c *config) {
		if c.methods == nil {
			c.methods = map[string]authz.Policy{}
		}
		for m, p := range policies {
			if err := checkMethod(m); err != nil {
				c.fail("WithMethodPolicies: %v", err)
				continue
			}
			if p == nil {
				c.fail("WithMethodPolicies: nil policy for %q", m)
				continue
			}
			if _, dup := c.methods[m]; dup {
				c.fail("WithMethodPolicies: %q given twice", m)
				continue
			}
			c.methods[m] = p
		}
	}
}

// Optional lets calls to every method without a token through as
// anonymous: the handler finds no claims, and no policy runs. A call with
// a token is handled as without Optional: a bad token is still
// Unauthenticated, a valid one lacking a scope PermissionDenied.
func Optional() Option { return func(c *config) { c.optionalAll = true } }

// OptionalMethods is Optional for the methods named, in the key forms of
// WithMethodPolicies ("/grpc.health.v1.Health/Check", or
// "/grpc.health.v1.Health/*"). A malformed name fails New.
func OptionalMethods(methods ...string) Option {
	return func(c *config) {
		for _, m := range methods {
			if err := checkMethod(m); err != nil {
				c.fail("OptionalMethods: %v", err)
				continue
			}
			c.optional = append(c.optional, m)
		}
	}
}

// WithTenantFrom names the tenant a call acts in, for the tenant policies
// of authz (authz.RequestTenant): the Guard puts tenant(ctx) into the
// context of Validate, of the policy and of the handler with
// authz.WithTenant. ctx is the call's, with its incoming metadata. An
// empty result means no tenant, and tenant policies then deny. A nil
// function fails New.
func WithTenantFrom(tenant func(ctx context.Context) string) Option {
	return func(c *config) {
		if tenant == nil {
			c.fail("WithTenantFrom(nil)")
			return
		}
		c.tenant = tenant
	}
}

// TenantFromMetadata is WithTenantFrom reading the tenant from the
// incoming metadata key (in any letter case), such as "x-tenant-id". A
// key sent more than once gives no tenant. An empty key fails New.
//
// The value comes from the caller, not the token: only a policy that
// checks the token's grants in that tenant (authz.TenantRoles and the
// like) makes it safe.
func TenantFromMetadata(key string) Option {
	return func(c *config) {
		if key == "" {
			c.fail("TenantFromMetadata with an empty key")
			return
		}
		key := strings.ToLower(key)
		c.tenant = func(ctx context.Context) string {
			md, _ := metadata.FromIncomingContext(ctx)
			if vs := md[key]; len(vs) == 1 {
				return vs[0]
			}
			return ""
		}
	}
}

// WithRealm sets the realm of the "www-authenticate" trailer (by default
// [nethttp.DefaultRealm], "api"). An empty realm, or one with bytes outside
// printable ASCII, fails New.
func WithRealm(realm string) Option {
	return func(c *config) {
		if err := nethttp.CheckRealm(realm); err != nil {
			c.fail("WithRealm: %v", err)
			return
		}
		c.realm = realm
	}
}

// WithHiddenDescriptions says only "unauthenticated" in the message of
// every Unauthenticated status, and leaves error_description out of the
// "www-authenticate" trailer, for services that reveal nothing about why
// a token was refused.
func WithHiddenDescriptions() Option { return func(c *config) { c.hideDesc = true } }

// checkMethod reports whether m is "/service/method" or "/service/*".
func checkMethod(m string) error {
	svc, meth, ok := strings.Cut(strings.TrimPrefix(m, "/"), "/")
	if !strings.HasPrefix(m, "/") || !ok || svc == "" || meth == "" || strings.Contains(meth, "/") ||
		strings.ContainsAny(m, " \t\r\n") || (strings.Contains(meth, "*") && meth != "*") {
		return fmt.Errorf("%q is not a full method name (/package.Service/Method) or /package.Service/*", m)
	}
	return nil
}

// Guard authorizes gRPC calls. Its Unary and Stream methods are the
// interceptors. A Guard is safe for concurrent use.
type Guard struct {
	v           *authz.Validator
	def         authz.Policy            // nil: none
	methods     map[string]authz.Policy // full names, and "/service/" for "/service/*"
	optionalAll bool
	optional    map[string]bool // likewise
	tenant      func(context.Context) string
	realm       string
	hideDesc    bool
	onError     func(ctx context.Context, err error) error
}

// New returns a Guard for v. It fails on a nil Validator or an invalid
// option, so that a misconfigured service is found at start-up.
func New(v *authz.Validator, opts ...Option) (*Guard, error) {
	c := config{realm: nethttp.DefaultRealm}
	if v == nil {
		c.fail("nil Validator")
	}
	for _, o := range opts {
		if o == nil {
			c.fail("nil Option")
			continue
		}
		o(&c)
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	g := &Guard{v: v, optionalAll: c.optionalAll, tenant: c.tenant, realm: c.realm, hideDesc: c.hideDesc, onError: c.onError}
	if len(c.policies) > 0 {
		g.def = authz.All(c.policies...)
	}
	if len(c.methods) > 0 {
		g.methods = make(map[string]authz.Policy, len(c.methods))
		for m, p := range c.methods {
			g.methods[strings.TrimSuffix(m, "*")] = p
		}
	}
	if len(c.optional) > 0 {
		g.optional = make(map[string]bool, len(c.optional))
		for _, m := range c.optional {
			g.optional[strings.TrimSuffix(m, "*")] = true
		}
	}
	return g, nil
}

// service returns the "/package.Service/" prefix of a full method name.
func service(fullMethod string) string {
	if i := strings.LastIndexByte(fullMethod, '/'); i > 0 {
		return fullMethod[:i+1]
	}
	return ""
}

func (g *Guard) policyFor(fullMethod string) authz.Policy {
	if p, ok := g.methods[fullMethod]; ok {
		return p
	}
	if p, ok := g.methods[service(fullMethod)]; ok {
		return p
	}
	return g.def
}

func (g *Guard) isOptional(fullMethod string) bool {
	return g.optionalAll || g.optional[fullMethod] || g.optional[service(fullMethod)]
}

// WithErrorHandler sets a hook called with every refusal before it is sent:
// err is the error Authorize returned (its gRPC status — status.FromError —
// is what the client would get, and errors.As finds the
// *authz.ValidationError, the policy's error or the malformed-metadata
// error). The error h returns is sent instead: return err to keep the
// answer, or another status (status.Error) to change it; the
// "www-authenticate" trailer is set either way. For logs, metrics or an
// API's own error details.
func WithErrorHandler(h func(ctx context.Context, err error) error) Option {
	return func(c *config) {
		if h == nil {
			c.fail("WithErrorHandler(nil)")
			return
		}
		c.onError = h
	}
}

// refuse sets the trailer of a refusal and runs the error hook.
func (g *Guard) refuse(ctx context.Context, err error, setTrailer func(metadata.MD)) error {
	if md := trailer(err); md != nil {
		setTrailer(md)
	}
	if g.onError != nil {
		if e := g.onError(ctx, err); e != nil {
			return e
		}
	}
	return err
}

// Unary is the unary server interceptor:
//
//	grpc.NewServer(grpc.UnaryInterceptor(g.Unary))
//
// It calls handler with the context Authorize returns, or rejects the
// call with Authorize's error and the "www-authenticate" trailer.
func (g *Guard) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx2, err := g.Authorize(ctx, info.FullMethod)
	if err != nil {
		return nil, g.refuse(ctx, err, func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) })
	}
	return handler(ctx2, req)
}

// Stream is the stream server interceptor:
//
//	grpc.NewServer(grpc.StreamInterceptor(g.Stream))
//
// It calls handler with a stream whose Context is the one Authorize
// returns, or rejects the call with Authorize's error and the
// "www-authenticate" trailer.
func (g *Guard) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	ctx2, err := g.Authorize(ctx, info.FullMethod)
	if err != nil {
		return g.refuse(ctx, err, ss.SetTrailer)
	}
	if ctx2 == ctx {
		return handler(srv, ss) // anonymous
	}
	return handler(srv, &serverStream{ServerStream: ss, ctx: ctx2})
}

// serverStream is a grpc.ServerStream with another context.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// Authorize reads the token from ctx's incoming metadata, validates it and
// applies fullMethod's policy. On success it returns a context holding the
// claims (see ClaimsFromContext) and the tenant (WithTenantFrom), or ctx
// itself for an anonymous call to an optional method. On failure it
// returns ctx and an error whose gRPC status (status.Code,
// status.FromError) is as the package documentation shows, and which
// wraps the cause: the *nethttp.RequestError of malformed metadata, the
// *authz.ValidationError from Validate, or the policy's error.
//
// The context passed to Validate and to the policy is ctx, with the
// tenant, if WithTenantFrom is set.
func (g *Guard) Authorize(ctx context.Context, fullMethod string) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	tok, scheme, err := g.token(md)
	if err != nil {
		return ctx, g.reject(ctx, err)
	}
	if tok == "" && g.isOptional(fullMethod) {
		return ctx, nil
	}
	base := ctx
	if g.tenant != nil {
		base = authz.WithTenant(ctx, g.tenant(ctx))
	}
	claims, err := g.v.ValidateRequest(base, tok, senderRequest(ctx, md, scheme, fullMethod))
	if err != nil {
		return ctx, g.reject(ctx, err)
	}
	if p := g.policyFor(fullMethod); p != nil {
		if err := p.Check(base, claims); err != nil {
			return ctx, g.reject(ctx, err)
		}
	}
	return authz.ContextWithClaims(base, claims), nil
}

var errMultiple = &nethttp.RequestError{Description: "more than one authorization value"}

// bearerToken reads the token from the "authorization" metadata with the
// parser of every adapter, nethttp.ParseAuthorization.
func bearerToken(md metadata.MD) (string, error) {
	vals := md["authorization"] // incoming metadata keys are lower case
	if len(vals) > 1 {
		return "", errMultiple // worded for metadata; the parser says "header"
	}
	return nethttp.ParseAuthorization(vals)
}

// Code returns the gRPC code for an error from Validate, a policy or a
// malformed "authorization" metadata. It is the gRPC form of the one status
// mapping of every adapter, nethttp.Classify (RFC 6750 §3):
//
//	HTTP status (nethttp.Status)          code
//	200                                   OK
//	503  authz.ErrKeysUnavailable         Unavailable
//	400  nethttp.ErrInvalidRequest        Unauthenticated
//	401  authz.ErrMissingToken            Unauthenticated
//	401  authz.ErrInvalidToken            Unauthenticated
//	403  authz.ErrForbidden               PermissionDenied
//	500  anything else                    Internal
//
// The cases are tried in that order, so an error joining a token problem
// and a policy denial is Unauthenticated. (Authorize also answers
// Canceled or DeadlineExceeded for keys that could not be had because the
// call's context ended.)
func Code(err error) codes.Code { return codeOf(nethttp.Status(err)) }

// codeOf maps an HTTP status of nethttp.Classify to its gRPC code.
func codeOf(status int) codes.Code {
	switch status {
	case http.StatusOK:
		return codes.OK
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusBadRequest, http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	}
	return codes.Internal
}

// rejection is the error of a refused call: the status the client gets,
// the cause for server-side logs, and the challenge for the trailer.
type rejection struct {
	st        *status.Status
	cause     error
	challenge string
	dpop      string // the DPoP challenge, when the Validator accepts DPoP
	nonce     string // a DPoP nonce to use (use_dpop_nonce)
}

// Error returns the code, the message and the cause, none of which holds
// token contents.
func (e *rejection) Error() string {
	return "grpcauth: " + e.st.Code().String() + ": " + e.st.Message() + ": " + e.cause.Error()
}

// GRPCStatus returns the status sent to the client.
func (e *rejection) GRPCStatus() *status.Status { return e.st }

// Unwrap returns the cause.
func (e *rejection) Unwrap() error { return e.cause }

func (g *Guard) reject(ctx context.Context, err error) error {
	o := nethttp.Classify(err)
	code := codeOf(o.Status)
	var msg string
	switch code {
	case codes.Unauthenticated:
		msg = "token is invalid"
		switch {
		case g.hideDesc:
			msg = "unauthenticated"
		case o.Description != "":
			msg = o.Description
		}
	case codes.PermissionDenied:
		msg = "permission denied"
		if len(o.Scopes) > 0 {
			msg = "insufficient scope: requires " + strings.Join(o.Scopes, " ")
		}
	case codes.Unavailable:
		msg = "signing keys unavailable"
		if ctx.Err() != nil {
			st := status.FromContextError(ctx.Err())
			code, msg = st.Code(), st.Message()
		}
	default:
		msg = "authorization failed"
	}
	r := &rejection{st: status.New(code, msg), cause: err, challenge: o.Challenge(g.realm, g.hideDesc)}
	if g.v.DPoPMode() != authz.DPoPDisabled {
		r.dpop = o.DPoPChallenge(g.v.DPoPAlgorithms(), g.hideDesc)
		if errors.Is(err, authz.ErrDPoPNonce) {
			r.nonce = g.v.DPoPNonce()
		}
		if g.v.DPoPMode() == authz.DPoPRequired {
			r.challenge, r.dpop = r.dpop, "" // Bearer is not accepted
		}
	}
	return r
}

// trailer returns the "www-authenticate" trailer for an error of
// Authorize, or nil.
//
// With DPoP enabled it also holds the DPoP challenge (RFC 9449 §7.1; first
// for a proof error, alone when DPoP is required) and, for use_dpop_nonce,
// a "dpop-nonce" entry with the nonce to put in the next proof.
func trailer(err error) metadata.MD {
	r, ok := err.(*rejection)
	if !ok || r.challenge == "" {
		return nil
	}
	md := metadata.MD{}
	switch {
	case r.dpop == "":
		md.Append("www-authenticate", r.challenge)
	case r.st.Code() == codes.Unauthenticated && strings.Contains(r.dpop, `error="invalid_dpop_proof"`) || strings.Contains(r.dpop, `error="use_dpop_nonce"`):
		md.Append("www-authenticate", r.dpop, r.challenge)
	default:
		md.Append("www-authenticate", r.challenge, r.dpop)
	}
	if r.nonce != "" {
		md.Append("dpop-nonce", r.nonce)
	}
	return md
}

// ClaimsFromContext returns the claims of the token the call was
// authorized with. ok is false in a call that passed anonymously
// (Optional) or did not pass through a Guard. It is authz.ClaimsFromContext,
// which reads them from any adapter's context.
func ClaimsFromContext(ctx context.Context) (*authz.Claims, bool) {
	return authz.ClaimsFromContext(ctx)
}
