package nethttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/internal/validatorinfo"
)

// Defaults of the options.
const (
	// DefaultRealm is the realm of the WWW-Authenticate challenges.
	DefaultRealm = "api"
	// DefaultRetryAfter is the Retry-After of a 503 (keys unavailable).
	DefaultRetryAfter = 5 * time.Second
)

// config is what the options set.
type config struct {
	requireDPoP bool
	proxies     []netip.Prefix
	certHeader  string
	defaultExt  bool
	policies    []authz.Policy
	realm       string
	extract     Extractor
	tenant      func(*http.Request) string
	onError     func(http.ResponseWriter, *http.Request, error)
	optional    bool
	hideDesc    bool
	retryAfter  time.Duration
	errs        []error
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("nethttp: "+format, args...))
}

// Option configures a Guard (and Middleware).
type Option func(*config)

// WithPolicy adds a policy every valid token must satisfy; a denial answers
// 403. Several WithPolicy all apply, in order, and the first denial is the
// answer. The policy's ctx carries the request: see RequestFromContext.
// Without WithPolicy, any valid token passes. A nil policy fails New.
func WithPolicy(p authz.Policy) Option {
	return func(c *config) {
		if p == nil {
			c.fail("WithPolicy(nil)")
			return
		}
		c.policies = append(c.policies, p)
	}
}

// WithRealm sets the realm of the WWW-Authenticate challenges (by default
// [DefaultRealm], "api"). An empty realm, or one with bytes outside printable
// ASCII, fails New.
func WithRealm(realm string) Option {
	return func(c *config) {
		if err := CheckRealm(realm); err != nil {
			c.fail("WithRealm: %v", err)
			return
		}
		c.realm = realm
	}
}

// CheckRealm reports whether realm can be the realm of a challenge: not
// empty, and only printable ASCII. Every adapter's WithRealm checks it.
func CheckRealm(realm string) error {
	if realm == "" {
		return errors.New("empty realm")
	}
	for i := 0; i < len(realm); i++ {
		if realm[i] < 0x20 || realm[i] > 0x7e {
			return fmt.Errorf("realm %q holds a byte outside printable ASCII", realm)
		}
	}
	return nil
}

// WithExtractor sets where the token is read from
// [FromAuthorizationHeader()]. A nil Extractor fails New.
func WithExtractor(e Extractor) Option {
	return func(c *config) {
		if e == nil {
			c.fail("WithExtractor(nil)")
			return
		}
		c.extract = e
		c.defaultExt = false
	}
}

// WithTenantFrom names the tenant a request acts in, for the tenant
// policies of authz (authz.RequestTenant): the Guard puts tenant(r) into
// the context of Validate, of the policies and of the next handler with
// authz.WithTenant. An empty result means no tenant, and tenant policies
// then deny. With Go's ServeMux, the tenant is usually a path wildcard:
//
//	nethttp.WithTenantFrom(func(r *http.Request) string { return r.PathValue("tenant") })
//
// The value comes from the request, not the token: only a policy that
// checks the token's grants in that tenant makes it safe. A nil function
// fails New.
func WithTenantFrom(tenant func(r *http.Request) string) Option {
	return func(c *config) {
		if tenant == nil {
			c.fail("WithTenantFrom(nil)")
			return
		}
		c.tenant = tenant
	}
}

// WithErrorHandler lets h write the response to a rejected request, for
// example a JSON body. When h is called, the Guard has already set on
// w.Header():
//
//   - WWW-Authenticate, as Challenge(realm, err, hidden) returns it, for
//     400, 401 and 403;
//   - Retry-After, in whole seconds, for 503;
//
// and has written nothing else: h must write the status line, normally
// Status(err), and the body. err is the error from the Extractor, Validate
// or the policy, for logs; it holds no token contents. A nil h fails New.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(c *config) {
		if h == nil {
			c.fail("WithErrorHandler(nil)")
			return
		}
		c.onError = h
	}
}

// Optional lets requests without a token through as anonymous, like
// Envoy's allow_missing: the handler finds no claims in the context, and
// the policies do not run. A request with a token is handled as without
// Optional: a bad token is still 401, a valid one lacking a scope 403, and a
// malformed Authorization header 400.
func Optional() Option { return func(c *config) { c.optional = true } }

// WithHiddenDescriptions leaves error_description out of every challenge,
// for services that reveal nothing about why a token was refused.
func WithHiddenDescriptions() Option { return func(c *config) { c.hideDesc = true } }

// WithRetryAfter sets the Retry-After header of a 503, rounded up to whole
// seconds [DefaultRetryAfter]. A duration that is not positive fails New.
func WithRetryAfter(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithRetryAfter(%v): must be positive", d)
			return
		}
		c.retryAfter = d
	}
}

// Guard authorizes requests with a Validator and a set of options. Its
// Handler method is the middleware; Authorize and WriteError are its two
// halves, for adapters to other routers. A Guard is safe for concurrent use.
type Guard struct {
	requireDPoP bool
	proxies     []netip.Prefix
	certHeader  string
	defaultExt  bool // the Authorization header extractor: DPoP scheme too
	// lazyToken: the b64token check of the default extractor waits for a
	// refusal, since every token the Validator accepts is one. Not with
	// validation hooks, which may accept tokens in its place.
	lazyToken  bool
	v          *authz.Validator
	policies   []authz.Policy
	extract    Extractor
	tenant     func(*http.Request) string
	realm      string
	optional   bool
	hideDesc   bool
	retryAfter string
	onError    func(http.ResponseWriter, *http.Request, error)
}

// New returns a Guard for v. It fails on a nil Validator or an invalid
// option, so a misconfigured route is found at start-up, not on its first
// request.
func New(v *authz.Validator, opts ...Option) (*Guard, error) {
	c := config{realm: DefaultRealm, extract: FromAuthorizationHeader(), defaultExt: true, retryAfter: DefaultRetryAfter}
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
	if c.requireDPoP && v != nil && v.DPoPMode() == authz.DPoPDisabled {
		c.fail("WithDPoPRequired: the Validator has DPoP disabled (authz.WithDPoP)")
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	secs := (c.retryAfter + time.Second - 1) / time.Second
	return &Guard{
		requireDPoP: c.requireDPoP,
		proxies:     c.proxies,
		certHeader:  c.certHeader,
		defaultExt:  c.defaultExt,
		lazyToken:   c.defaultExt && v != nil && !validatorinfo.Hooked(v),
		v:           v,
		policies:    c.policies,
		extract:     c.extract,
		tenant:      c.tenant,
		realm:       c.realm,
		optional:    c.optional,
		hideDesc:    c.hideDesc,
		retryAfter:  strconv.FormatInt(int64(secs), 10),
		onError:     c.onError,
	}, nil
}

// Middleware returns net/http middleware that lets a request through to
// the next handler only with a valid token that satisfies every policy,
// the token's claims in its context (see ClaimsFromContext). It answers
// everything else as the package documentation shows. It panics where New
// returns an error: configuration is checked once, when routes are built.
func Middleware(v *authz.Validator, opts ...Option) func(http.Handler) http.Handler {
	g, err := New(v, opts...)
	if err != nil {
		panic(err)
	}
	return g.Handler
}

// Handler is the middleware: it serves next with the request Authorize
// returns, or answers with WriteError. It panics if next is nil.
func (g *Guard) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("nethttp: Handler(nil)")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, err := g.Authorize(r)
		if err != nil {
			g.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r2)
	})
}

// Authorize reads the token, validates it and applies the policies. On
// success it returns a shallow copy of r whose context holds the claims
// (or r itself, for an anonymous request under Optional). On failure it
// returns r and an error for WriteError: from the Extractor, from Validate
// (*authz.ValidationError, also for a missing token), or from a policy.
//
// The context passed to Validate and to the policies is r's, with r added
// (RequestFromContext), so a policy can read path parameters or headers,
// and with the tenant of WithTenantFrom, if set.
func (g *Guard) Authorize(r *http.Request) (*http.Request, error) {
	tok, scheme, lazy, err := g.token(r)
	if err != nil {
		return r, err
	}
	if tok == "" && g.optional {
		return r, nil
	}
	base := r.Context()
	if g.tenant != nil {
		base = authz.WithTenant(base, g.tenant(r))
	}
	ctx := context.WithValue(base, requestKey, r)
	claims, err := g.v.ValidateRequest(ctx, tok, g.senderRequest(r, scheme))
	if err != nil {
		if lazy && tok != "" && !isB64Token(tok) {
			// Not one b64token: a malformed request (400), as
			// ParseAuthorization would have answered before Validate.
			return r, errMalformedHeader
		}
		return r, err
	}
	for _, p := range g.policies {
		if err := p.Check(ctx, claims); err != nil {
			return r, err
		}
	}
	return r.WithContext(authz.ContextWithClaims(base, claims)), nil
}

// WriteError answers a request Authorize rejected: the status is
// Status(err), WWW-Authenticate is Challenge(realm, err, hidden) when not
// empty, Retry-After is set for 503, and the body is the status text as
// plain text, or whatever the WithErrorHandler handler writes.
func (g *Guard) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if status, handled := g.Reject(w, r, err); !handled {
		http.Error(w, http.StatusText(status), status)
	}
}

// Reject is WriteError for adapters whose router writes the response
// itself (echoauth returns an *echo.HTTPError): it sets the headers
// WriteError sets — WWW-Authenticate for 400, 401 and 403, Retry-After for
// 503 — and returns Status(err). When WithErrorHandler named a handler,
// Reject calls it, which writes the response, and handled is true;
// otherwise nothing is written, and the caller answers with status.
func (g *Guard) Reject(w http.ResponseWriter, r *http.Request, err error) (status int, handled bool) {
	o := Classify(err)
	h := w.Header()
	for _, c := range g.challenges(o) {
		h.Add("WWW-Authenticate", c)
	}
	if errors.Is(err, authz.ErrDPoPNonce) {
		if n := g.v.DPoPNonce(); n != "" {
			h.Set("DPoP-Nonce", n)
		}
	}
	if o.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", g.retryAfter)
	}
	if g.onError != nil {
		g.onError(w, r, err)
		return o.Status, true
	}
	return o.Status, false
}

// contextKey is the type of the package's context keys: a pointer, so no
// other package can make an equal key.
type contextKey struct{ name string }

var requestKey = &contextKey{"request"}

// ClaimsFromContext returns the claims of the token the request was
// authorized with. ok is false in a request that passed anonymously
// (Optional) or did not pass through a Guard. It is authz.ClaimsFromContext,
// which reads them from any adapter's context (chi, echo, gin, gRPC).
func ClaimsFromContext(ctx context.Context) (*authz.Claims, bool) {
	return authz.ClaimsFromContext(ctx)
}

// RequestFromContext returns the request being authorized, from the
// context a Guard passes to Validate (and so to authz hooks) and to the
// policies: a policy that needs a tenant from the path or a header reads it
// there.
func RequestFromContext(ctx context.Context) (*http.Request, bool) {
	r, ok := ctx.Value(requestKey).(*http.Request)
	return r, ok && r != nil
}
