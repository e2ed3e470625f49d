package nethttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

const audience = "my-api"

// fixture is a test issuer and a Validator that trusts it.
type fixture struct {
	iss *authztest.Issuer
	v   *authz.Validator
}

func newFixture(t testing.TB, opts ...authz.Option) *fixture {
	t.Helper()
	iss := authztest.NewT(t)
	v, err := authz.New([]authz.Issuer{iss.OIDC(audience)}, append([]authz.Option{authz.WithoutBackground()}, opts...)...)
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return &fixture{iss: iss, v: v}
}

// token mints a token for user-1 with the given scope claim (none if
// empty); edit changes the claims before minting.
func (f *fixture) token(t testing.TB, scope string, edit func(map[string]any), opts ...authztest.TokenOption) string {
	t.Helper()
	c := f.iss.Claims("user-1", audience)
	if scope != "" {
		c["scope"] = scope
	}
	if edit != nil {
		edit(c)
	}
	return f.iss.MustMint(t, c, opts...)
}

// echoClaims reports what the handler sees in its context.
var echoClaims = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := nethttp.ClaimsFromContext(r.Context())
	if !ok {
		_, _ = io.WriteString(w, "anonymous")
		return
	}
	_, _ = fmt.Fprintf(w, "sub=%s scopes=%s", c.Subject, strings.Join(c.Scopes, " "))
})

func serve(t testing.TB, mw func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(mw(echoClaims))
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status                 int
	challenge, retryAfter  string
	body, contentType, raw string
}

// get sends GET srv.URL+path with the given Authorization header values
// (none when auth is nil) and cookies.
func get(t testing.TB, srv *httptest.Server, path string, auth []string, cookies ...*http.Cookie) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != nil {
		req.Header["Authorization"] = auth
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Header.Values("WWW-Authenticate")); n > 1 {
		t.Errorf("%d WWW-Authenticate headers", n)
	}
	return response{
		status:      res.StatusCode,
		challenge:   res.Header.Get("WWW-Authenticate"),
		retryAfter:  res.Header.Get("Retry-After"),
		body:        strings.TrimSuffix(string(b), "\n"),
		contentType: res.Header.Get("Content-Type"),
	}
}

func bearer(tok string) []string { return []string{"Bearer " + tok} }

func TestMiddleware(t *testing.T) {
	f := newFixture(t)
	both := f.token(t, "read:messages write:messages", nil)
	readOnly := f.token(t, "read:messages", nil)
	expired := f.token(t, "read:messages write:messages", func(c map[string]any) {
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})
	expiredNoScope := f.token(t, "", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
	wrongAud := f.token(t, "read:messages write:messages", func(c map[string]any) { c["aud"] = "other-api" })
	otherIss := f.token(t, "read:messages write:messages", func(c map[string]any) { c["iss"] = "https://evil.example.com" })
	forged := f.token(t, "read:messages write:messages", nil, authztest.WithUnpublishedKey())
	parts := strings.Split(both, ".")
	tampered := parts[0] + "." + parts[1] + "." + flip(parts[2])

	srv := serve(t, nethttp.Middleware(f.v, nethttp.WithPolicy(authz.RequireScopes("read:messages", "write:messages"))))

	const (
		plain          = `Bearer realm="api"`
		badRequest     = `Bearer realm="api", error="invalid_request", error_description="malformed bearer credentials"`
		ok             = "sub=user-1 scopes=read:messages write:messages"
		insufficient   = `Bearer realm="api", error="insufficient_scope", scope="read:messages write:messages"`
		invalidTokenAs = `Bearer realm="api", error="invalid_token", error_description=%q`
	)
	invalid := func(desc string) string { return fmt.Sprintf(invalidTokenAs, desc) }
	tests := []struct {
		name          string
		auth          []string
		wantStatus    int
		wantChallenge string
		wantBody      string
	}{
		{name: "no token", auth: nil, wantStatus: 401, wantChallenge: plain, wantBody: "Unauthorized"},
		{name: "empty header", auth: []string{""}, wantStatus: 401, wantChallenge: plain},
		{name: "basic scheme", auth: []string{"Basic dXNlcjpwYXNz"}, wantStatus: 401, wantChallenge: plain},
		{name: "valid", auth: bearer(both), wantStatus: 200, wantBody: ok},
		{name: "scheme lower case", auth: []string{"bearer " + both}, wantStatus: 200, wantBody: ok},
		{name: "scheme upper case", auth: []string{"BEARER " + both}, wantStatus: 200, wantBody: ok},
		{name: "several spaces", auth: []string{"Bearer    " + both}, wantStatus: 200, wantBody: ok},
		{name: "garbage token", auth: bearer("garbage"), wantStatus: 401, wantChallenge: invalid("token is malformed")},
		{name: "tampered signature", auth: bearer(tampered), wantStatus: 401, wantChallenge: invalid("signature is invalid")},
		{name: "forged with unpublished key", auth: bearer(forged), wantStatus: 401, wantChallenge: invalid("signature is invalid")},
		{name: "expired", auth: bearer(expired), wantStatus: 401, wantChallenge: invalid("token has expired"), wantBody: "Unauthorized"},
		{name: "wrong audience", auth: bearer(wrongAud), wantStatus: 401, wantChallenge: invalid("audience not accepted")},
		{name: "unknown issuer", auth: bearer(otherIss), wantStatus: 401, wantChallenge: invalid("issuer not accepted")},
		{name: "missing scope", auth: bearer(readOnly), wantStatus: 403, wantChallenge: insufficient, wantBody: "Forbidden"},
		{name: "token problem wins over policy", auth: bearer(expiredNoScope), wantStatus: 401, wantChallenge: invalid("token has expired")},
		{name: "bearer without token", auth: []string{"Bearer"}, wantStatus: 400, wantChallenge: badRequest, wantBody: "Bad Request"},
		{name: "bearer and space only", auth: []string{"Bearer "}, wantStatus: 400, wantChallenge: badRequest},
		{name: "two tokens", auth: []string{"Bearer a b"}, wantStatus: 400, wantChallenge: badRequest},
		{name: "tab separator", auth: []string{"Bearer\t" + both}, wantStatus: 400, wantChallenge: badRequest},
		{name: "not a b64token", auth: bearer(both + ","), wantStatus: 400, wantChallenge: badRequest},
		{
			name: "two Authorization headers", auth: []string{"Bearer " + both, "Bearer " + both}, wantStatus: 400,
			wantChallenge: `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, srv, "/", tt.auth)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", got.status, tt.wantStatus, got.body)
			}
			if got.challenge != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %s\nwant               %s", got.challenge, tt.wantChallenge)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if got.retryAfter != "" {
				t.Errorf("Retry-After = %q on a %d", got.retryAfter, got.status)
			}
			if tt.wantStatus != 200 && !strings.HasPrefix(got.contentType, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", got.contentType)
			}
			for _, a := range tt.auth {
				if f := strings.Fields(a); len(f) > 1 && len(f[1]) > 20 && strings.Contains(got.challenge+got.body, f[1][:20]) {
					t.Errorf("response echoes the token")
				}
			}
		})
	}
}

// flip changes the first character of a base64url signature.
func flip(sig string) string {
	c := byte('A')
	if sig[0] == 'A' {
		c = 'B'
	}
	return string(c) + sig[1:]
}

func TestKeysUnavailable(t *testing.T) {
	f := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
	good := f.token(t, "read:messages", nil)
	expired := f.token(t, "read:messages", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
	f.iss.SetFailure(authztest.Fail5xx) // before any key was fetched: nothing cached

	tests := []struct {
		name           string
		opts           []nethttp.Option
		auth           []string
		wantStatus     int
		wantRetryAfter string
		wantChallenge  string
	}{
		{name: "default Retry-After", auth: bearer(good), wantStatus: 503, wantRetryAfter: "5"},
		{name: "rounded up", opts: []nethttp.Option{nethttp.WithRetryAfter(1500 * time.Millisecond)}, auth: bearer(good), wantStatus: 503, wantRetryAfter: "2"},
		{name: "with a policy", opts: []nethttp.Option{nethttp.WithPolicy(authz.RequireScopes("admin"))}, auth: bearer(good), wantStatus: 503, wantRetryAfter: "5"},
		// Cheap checks come before key work: an expired token is refused
		// as such even while the keys cannot be had.
		{name: "expired token", auth: bearer(expired), wantStatus: 401, wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
		{name: "no token", auth: nil, wantStatus: 401, wantChallenge: `Bearer realm="api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, nethttp.Middleware(f.v, tt.opts...))
			got := get(t, srv, "/", tt.auth)
			if got.status != tt.wantStatus || got.retryAfter != tt.wantRetryAfter || got.challenge != tt.wantChallenge {
				t.Errorf("got %d, Retry-After %q, WWW-Authenticate %q; want %d, %q, %q",
					got.status, got.retryAfter, got.challenge, tt.wantStatus, tt.wantRetryAfter, tt.wantChallenge)
			}
			if got.status == 503 && got.body != "Service Unavailable" {
				t.Errorf("body = %q", got.body)
			}
		})
	}
	if n := f.iss.DiscoveryRequests() + f.iss.JWKSRequests(); n == 0 {
		t.Errorf("the issuer was never asked for keys")
	}
}

func TestExtractors(t *testing.T) {
	f := newFixture(t)
	good := f.token(t, "read:messages", nil)
	const ok = "sub=user-1 scopes=read:messages"
	cookie := func(v string) *http.Cookie { return &http.Cookie{Name: "session", Value: v} }
	q := "/?access_token=" + url.QueryEscape(good)

	tests := []struct {
		name          string
		extractor     nethttp.Extractor // nil: the default
		path          string
		auth          []string
		cookies       []*http.Cookie
		wantStatus    int
		wantChallenge string
	}{
		{name: "default ignores the query", path: q, wantStatus: 401, wantChallenge: `Bearer realm="api"`},
		{name: "default ignores cookies", path: "/", cookies: []*http.Cookie{cookie(good)}, wantStatus: 401},
		{name: "cookie", extractor: nethttp.FromCookie("session"), path: "/", cookies: []*http.Cookie{cookie(good)}, wantStatus: 200},
		{name: "cookie absent", extractor: nethttp.FromCookie("session"), path: "/", auth: bearer(good), wantStatus: 401, wantChallenge: `Bearer realm="api"`},
		{name: "cookie empty", extractor: nethttp.FromCookie("session"), path: "/", cookies: []*http.Cookie{cookie("")}, wantStatus: 401, wantChallenge: `Bearer realm="api"`},
		{
			name: "two cookies", extractor: nethttp.FromCookie("session"), path: "/", cookies: []*http.Cookie{cookie(good), cookie(good)}, wantStatus: 400,
			wantChallenge: `Bearer realm="api", error="invalid_request", error_description="more than one token cookie"`,
		},
		{
			name: "bad cookie token", extractor: nethttp.FromCookie("session"), path: "/", cookies: []*http.Cookie{cookie("garbage")}, wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token is malformed"`,
		},
		{name: "query", extractor: nethttp.FromQuery("access_token"), path: q, wantStatus: 200},
		{name: "query absent", extractor: nethttp.FromQuery("access_token"), path: "/?other=1", wantStatus: 401, wantChallenge: `Bearer realm="api"`},
		{
			name: "query repeated", extractor: nethttp.FromQuery("access_token"), path: q + "&access_token=x", wantStatus: 400,
			wantChallenge: `Bearer realm="api", error="invalid_request", error_description="more than one token query parameter"`,
		},
		{
			name: "first of: header first", extractor: nethttp.FirstOf(nethttp.FromAuthorizationHeader(), nethttp.FromCookie("session")),
			path: "/", auth: bearer(good), cookies: []*http.Cookie{cookie("garbage")}, wantStatus: 200,
		},
		{
			name: "first of: falls back to the cookie", extractor: nethttp.FirstOf(nethttp.FromAuthorizationHeader(), nethttp.FromCookie("session")),
			path: "/", cookies: []*http.Cookie{cookie(good)}, wantStatus: 200,
		},
		{
			name: "first of: an error stops the search", extractor: nethttp.FirstOf(nethttp.FromAuthorizationHeader(), nethttp.FromCookie("session")),
			path: "/", auth: []string{"Bearer"}, cookies: []*http.Cookie{cookie(good)}, wantStatus: 400,
		},
		{
			name: "first of: nothing anywhere", extractor: nethttp.FirstOf(nethttp.FromAuthorizationHeader(), nethttp.FromCookie("session"), nethttp.FromQuery("t")),
			path: "/", wantStatus: 401, wantChallenge: `Bearer realm="api"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []nethttp.Option
			if tt.extractor != nil {
				opts = append(opts, nethttp.WithExtractor(tt.extractor))
			}
			srv := serve(t, nethttp.Middleware(f.v, opts...))
			got := get(t, srv, tt.path, tt.auth, tt.cookies...)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if tt.wantStatus == 200 && got.body != ok {
				t.Errorf("body = %q, want %q", got.body, ok)
			}
			if tt.wantChallenge != "" && got.challenge != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %s\nwant               %s", got.challenge, tt.wantChallenge)
			}
		})
	}
}

func TestErrorHandler(t *testing.T) {
	f := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
	noScope := f.token(t, "", nil)

	type body struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	var seen atomic.Value // the headers the handler found set
	h := func(w http.ResponseWriter, r *http.Request, err error) {
		seen.Store(w.Header().Clone())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(nethttp.Status(err))
		_ = json.NewEncoder(w).Encode(body{Error: err.Error(), Status: nethttp.Status(err)})
	}
	srv := serve(t, nethttp.Middleware(f.v,
		nethttp.WithErrorHandler(h),
		nethttp.WithRealm("orders"),
		nethttp.WithHiddenDescriptions(),
		nethttp.WithPolicy(authz.RequireScopes("read:orders")),
	))

	tests := []struct {
		name           string
		auth           []string
		wantStatus     int
		wantChallenge  string
		wantRetryAfter string
	}{
		{name: "no token", wantStatus: 401, wantChallenge: `Bearer realm="orders"`},
		{name: "bad token", auth: bearer("garbage"), wantStatus: 401, wantChallenge: `Bearer realm="orders", error="invalid_token"`},
		{name: "malformed", auth: []string{"Bearer a b"}, wantStatus: 400, wantChallenge: `Bearer realm="orders", error="invalid_request"`},
		{name: "missing scope", auth: bearer(noScope), wantStatus: 403, wantChallenge: `Bearer realm="orders", error="insufficient_scope", scope="read:orders"`},
		{name: "keys unavailable", auth: bearer(noScope), wantStatus: 503, wantRetryAfter: "5"}, // runs last: breaks the issuer
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantStatus == 503 {
				f2 := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
				tok := f2.token(t, "read:orders", nil)
				f2.iss.SetFailure(authztest.Fail5xx)
				srv = serve(t, nethttp.Middleware(f2.v, nethttp.WithErrorHandler(h)))
				tt.auth = bearer(tok)
			}
			got := get(t, srv, "/", tt.auth)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if got.contentType != "application/json" {
				t.Errorf("Content-Type = %q", got.contentType)
			}
			var b body
			if err := json.Unmarshal([]byte(got.body), &b); err != nil || b.Status != tt.wantStatus || b.Error == "" {
				t.Errorf("body = %q (%v)", got.body, err)
			}
			hdr := seen.Load().(http.Header)
			if hdr.Get("WWW-Authenticate") != tt.wantChallenge || got.challenge != tt.wantChallenge {
				t.Errorf("WWW-Authenticate before handler %q, sent %q; want %q", hdr.Get("WWW-Authenticate"), got.challenge, tt.wantChallenge)
			}
			if hdr.Get("Retry-After") != tt.wantRetryAfter {
				t.Errorf("Retry-After before handler = %q, want %q", hdr.Get("Retry-After"), tt.wantRetryAfter)
			}
		})
	}
}

// tenantPolicy allows a token whose tenant claim equals the request's
// X-Tenant header: a policy that needs the request.
var tenantPolicy = authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error {
	r, ok := nethttp.RequestFromContext(ctx)
	if !ok {
		return errors.New("no request in the policy's context")
	}
	var custom struct {
		Tenant string `json:"tenant"`
	}
	if err := c.Decode(&custom); err != nil {
		return err
	}
	if custom.Tenant == "" || custom.Tenant != r.Header.Get("X-Tenant") {
		return &authz.PolicyError{Requirement: "tenant of the request"}
	}
	return nil
})

func TestPolicyContext(t *testing.T) {
	var hookSawRequest atomic.Bool
	f := newFixture(t, authz.WithHooks(authz.Hooks{Validate: func(next authz.ValidateFunc) authz.ValidateFunc {
		return func(ctx context.Context, token string) (*authz.Claims, error) {
			if _, ok := nethttp.RequestFromContext(ctx); ok {
				hookSawRequest.Store(true)
			}
			return next(ctx, token)
		}
	}}))
	acme := f.token(t, "read:messages", func(c map[string]any) { c["tenant"] = "acme" })
	failing := authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error {
		return errors.New("policy store unreachable")
	})

	tests := []struct {
		name          string
		policies      []authz.Policy
		tenant        string
		wantStatus    int
		wantChallenge string
	}{
		{name: "tenant matches", policies: []authz.Policy{tenantPolicy}, tenant: "acme", wantStatus: 200},
		{name: "tenant differs", policies: []authz.Policy{tenantPolicy}, tenant: "globex", wantStatus: 403, wantChallenge: `Bearer realm="api", error="insufficient_scope"`},
		{name: "every policy applies", policies: []authz.Policy{tenantPolicy, authz.RequireScopes("write:messages")}, tenant: "acme", wantStatus: 403, wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="write:messages"`},
		{name: "first denial answers", policies: []authz.Policy{authz.RequireScopes("admin"), tenantPolicy}, tenant: "globex", wantStatus: 403, wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="admin"`},
		{name: "a failing policy is 500", policies: []authz.Policy{failing}, tenant: "acme", wantStatus: 500, wantChallenge: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []nethttp.Option
			for _, p := range tt.policies {
				opts = append(opts, nethttp.WithPolicy(p))
			}
			g, err := nethttp.New(f.v, opts...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(g.Handler(echoClaims))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			req.Header.Set("Authorization", "Bearer "+acme)
			req.Header.Set("X-Tenant", tt.tenant)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.StatusCode != tt.wantStatus || res.Header.Get("WWW-Authenticate") != tt.wantChallenge {
				t.Errorf("got %d %q, want %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"), tt.wantStatus, tt.wantChallenge)
			}
		})
	}
	if !hookSawRequest.Load() {
		t.Error("the Validate hook's ctx did not carry the request")
	}
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t)
	good := f.token(t, "read:messages", nil)
	g, err := nethttp.New(f.v)
	if err != nil {
		t.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+good)
	r2, err := g.Authorize(r)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if c, ok := nethttp.ClaimsFromContext(r2.Context()); !ok || c.Subject != "user-1" {
		t.Errorf("claims = %v, %v", c, ok)
	}
	if _, ok := nethttp.ClaimsFromContext(r.Context()); ok {
		t.Error("Authorize changed the original request's context")
	}

	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r2, err = g.Authorize(r)
	var ve *authz.ValidationError
	if !errors.As(err, &ve) || ve.Reason != authz.ReasonMissing || !errors.Is(err, authz.ErrMissingToken) || r2 != r {
		t.Errorf("no token: %v", err)
	}

	w := httptest.NewRecorder()
	g.WriteError(w, r, err)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("WriteError: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestNew(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		v       *authz.Validator
		opts    []nethttp.Option
		wantErr string
	}{
		{name: "defaults", v: f.v},
		{name: "every option", v: f.v, opts: []nethttp.Option{
			nethttp.WithPolicy(authz.RequireScopes("a")), nethttp.WithRealm(`my "api"`), nethttp.WithExtractor(nethttp.FromCookie("c")),
			nethttp.WithErrorHandler(func(http.ResponseWriter, *http.Request, error) {}), nethttp.Optional(),
			nethttp.WithHiddenDescriptions(), nethttp.WithRetryAfter(time.Millisecond),
			nethttp.WithTenantFrom(func(*http.Request) string { return "" }),
		}},
		{name: "nil validator", v: nil, wantErr: "nil Validator"},
		{name: "nil policy", v: f.v, opts: []nethttp.Option{nethttp.WithPolicy(nil)}, wantErr: "WithPolicy(nil)"},
		{name: "nil extractor", v: f.v, opts: []nethttp.Option{nethttp.WithExtractor(nil)}, wantErr: "WithExtractor(nil)"},
		{name: "nil error handler", v: f.v, opts: []nethttp.Option{nethttp.WithErrorHandler(nil)}, wantErr: "WithErrorHandler(nil)"},
		{name: "nil tenant function", v: f.v, opts: []nethttp.Option{nethttp.WithTenantFrom(nil)}, wantErr: "WithTenantFrom(nil)"},
		{name: "empty realm", v: f.v, opts: []nethttp.Option{nethttp.WithRealm("")}, wantErr: "empty realm"},
		{name: "realm with a line break", v: f.v, opts: []nethttp.Option{nethttp.WithRealm("a\r\nX-Evil: 1")}, wantErr: "printable ASCII"},
		{name: "zero Retry-After", v: f.v, opts: []nethttp.Option{nethttp.WithRetryAfter(0)}, wantErr: "must be positive"},
		{name: "negative Retry-After", v: f.v, opts: []nethttp.Option{nethttp.WithRetryAfter(-time.Second)}, wantErr: "must be positive"},
		{name: "nil option", v: f.v, opts: []nethttp.Option{nil}, wantErr: "nil Option"},
		{name: "all errors reported", v: nil, opts: []nethttp.Option{nethttp.WithRealm("")}, wantErr: "nil Validator\nnethttp: WithRealm: empty realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := nethttp.New(tt.v, tt.opts...)
			if tt.wantErr == "" {
				if err != nil || g == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: err = %v, want one containing %q", err, tt.wantErr)
			}
			defer func() {
				if recover() == nil {
					t.Error("Middleware did not panic")
				}
			}()
			nethttp.Middleware(tt.v, tt.opts...)
		})
	}
}

func TestConstructorsPanic(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"FromCookie empty name", func() { nethttp.FromCookie("") }},
		{"FromQuery empty name", func() { nethttp.FromQuery("") }},
		{"FirstOf nothing", func() { nethttp.FirstOf() }},
		{"FirstOf nil", func() { nethttp.FirstOf(nethttp.FromAuthorizationHeader(), nil) }},
		{"Handler nil", func() {
			g, _ := nethttp.New(newFixture(t).v)
			g.Handler(nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}

func TestContextGetters(t *testing.T) {
	ctx := context.Background()
	if c, ok := nethttp.ClaimsFromContext(ctx); ok || c != nil {
		t.Errorf("ClaimsFromContext(empty) = %v, %v", c, ok)
	}
	if r, ok := nethttp.RequestFromContext(ctx); ok || r != nil {
		t.Errorf("RequestFromContext(empty) = %v, %v", r, ok)
	}
	// A string key of the same name is not the package's key.
	ctx = context.WithValue(ctx, "claims", &authz.Claims{}) //nolint:staticcheck // deliberately a plain key
	if _, ok := nethttp.ClaimsFromContext(ctx); ok {
		t.Error("ClaimsFromContext read a foreign key")
	}
}

func TestTenantFrom(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", func(c map[string]any) {
		c["tenants"] = map[string]any{
			"acme":   map[string]any{"roles": []string{"admin"}},
			"globex": map[string]any{"roles": []string{"viewer"}},
		}
	})
	mw := nethttp.Middleware(f.v,
		nethttp.WithTenantFrom(func(r *http.Request) string { return r.PathValue("tenant") }),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /tenants/{tenant}/settings", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := authz.TenantFromContext(r.Context())
		_, _ = io.WriteString(w, "tenant="+id)
	})))
	mux.Handle("GET /settings", mw(echoClaims)) // no tenant in the path
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "admin in the tenant", path: "/tenants/acme/settings", wantStatus: 200, wantBody: "tenant=acme"},
		{name: "role held in another tenant only", path: "/tenants/globex/settings", wantStatus: 403, wantBody: "Forbidden"},
		{name: "unknown tenant", path: "/tenants/initech/settings", wantStatus: 403, wantBody: "Forbidden"},
		{name: "no tenant", path: "/settings", wantStatus: 403, wantBody: "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, srv, tt.path, bearer(tok))
			if got.status != tt.wantStatus || got.body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
			if got.status == 403 && got.challenge != `Bearer realm="api", error="insufficient_scope"` {
				t.Errorf("WWW-Authenticate = %s", got.challenge)
			}
		})
	}
}
