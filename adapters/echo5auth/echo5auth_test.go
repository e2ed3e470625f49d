package echo5auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/jwtguard/jwtguard/adapters/echo5auth"
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
func (f *fixture) token(t testing.TB, scope string, edit func(map[string]any)) string {
	t.Helper()
	c := f.iss.Claims("user-1", audience)
	if scope != "" {
		c["scope"] = scope
	}
	if edit != nil {
		edit(c)
	}
	return f.iss.MustMint(t, c)
}

// whoami writes what the handler sees.
func whoami(c *echo.Context) error {
	tenant, _ := authz.TenantFromContext(c.Request().Context())
	claims, ok := echo5auth.ClaimsFromContext(c)
	if !ok {
		return c.String(http.StatusOK, "anonymous")
	}
	fromReq, _ := nethttp.ClaimsFromContext(c.Request().Context())
	return c.String(http.StatusOK, fmt.Sprintf("sub=%s scopes=%s tenant=%s same=%t",
		claims.Subject, strings.Join(claims.Scopes, " "), tenant, fromReq == claims))
}

type response struct {
	status                      int
	challenge, retryAfter, body string
	contentType                 string
}

func do(t testing.TB, srv *httptest.Server, method, path string, auth ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != nil {
		req.Header["Authorization"] = auth
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
	return response{
		status:      res.StatusCode,
		challenge:   res.Header.Get("WWW-Authenticate"),
		retryAfter:  res.Header.Get("Retry-After"),
		body:        strings.TrimSuffix(string(b), "\n"),
		contentType: res.Header.Get("Content-Type"),
	}
}

func serve(t testing.TB, e *echo.Echo) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func bearer(tok string) []string { return []string{"Bearer " + tok} }

func TestRequire(t *testing.T) {
	f := newFixture(t)
	both := f.token(t, "read:messages write:messages", nil)
	readOnly := f.token(t, "read:messages", nil)
	expired := f.token(t, "read:messages write:messages", func(c map[string]any) {
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})

	e := echo.New()
	e.GET("/messages/:id", whoami, echo5auth.Require(f.v, authz.RequireScopes("read:messages", "write:messages")))
	srv := serve(t, e)

	tests := []struct {
		name          string
		auth          []string
		wantStatus    int
		wantChallenge string
		wantBody      string
	}{
		{name: "no token", wantStatus: 401, wantChallenge: `Bearer realm="api"`, wantBody: `{"message":"Unauthorized"}`},
		{name: "basic scheme", auth: []string{"Basic dXNlcjpwYXNz"}, wantStatus: 401, wantChallenge: `Bearer realm="api"`},
		{name: "garbage token", auth: bearer("garbage"), wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token is malformed"`},
		{name: "expired", auth: bearer(expired), wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
		{name: "missing scope", auth: bearer(readOnly), wantStatus: 403,
			wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="read:messages write:messages"`,
			wantBody:      `{"message":"Forbidden"}`},
		{name: "two Authorization headers", auth: []string{"Bearer " + both, "Bearer " + both}, wantStatus: 400,
			wantChallenge: `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`,
			wantBody:      `{"message":"Bad Request"}`},
		{name: "valid", auth: bearer(both), wantStatus: 200, wantBody: "sub=user-1 scopes=read:messages write:messages tenant= same=true"},
		{name: "scheme in lower case", auth: []string{"bearer " + both}, wantStatus: 200, wantBody: "sub=user-1 scopes=read:messages write:messages tenant= same=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, http.MethodGet, "/messages/1", tt.auth...)
			if got.status != tt.wantStatus || got.challenge != tt.wantChallenge {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.challenge, tt.wantStatus, tt.wantChallenge)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if got.status != 200 && !strings.HasPrefix(got.contentType, "application/json") {
				t.Errorf("Content-Type = %q, want echo's JSON", got.contentType)
			}
			if got.retryAfter != "" {
				t.Errorf("Retry-After = %q", got.retryAfter)
			}
			for _, a := range tt.auth {
				if f := strings.Fields(a); len(f) > 1 && len(f[1]) > 20 && strings.Contains(got.challenge+got.body, f[1][:20]) {
					t.Error("response echoes the token")
				}
			}
		})
	}
}

// TestKeysUnavailable: keys that cannot be had (the issuer answers 5xx,
// nothing cached) give 503 with Retry-After and no challenge, through
// echo's error handler.
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
		wantBody       string
	}{
		{name: "default Retry-After", auth: bearer(good), wantStatus: 503, wantRetryAfter: "5", wantBody: `{"message":"Service Unavailable"}`},
		{name: "WithRetryAfter", opts: []nethttp.Option{nethttp.WithRetryAfter(30 * time.Second)}, auth: bearer(good), wantStatus: 503, wantRetryAfter: "30"},
		{name: "with a policy", opts: []nethttp.Option{nethttp.WithPolicy(authz.RequireScopes("admin"))}, auth: bearer(good), wantStatus: 503, wantRetryAfter: "5"},
		{name: "expired token", auth: bearer(expired), wantStatus: 401, wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			e.GET("/", whoami, echo5auth.Middleware(f.v, tt.opts...))
			got := do(t, serve(t, e), http.MethodGet, "/", tt.auth...)
			if got.status != tt.wantStatus || got.retryAfter != tt.wantRetryAfter || got.challenge != tt.wantChallenge {
				t.Errorf("got %d, Retry-After %q, WWW-Authenticate %q; want %d, %q, %q",
					got.status, got.retryAfter, got.challenge, tt.wantStatus, tt.wantRetryAfter, tt.wantChallenge)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
		})
	}
}

// TestHTTPErrorHandler checks that echo's error handler receives an error
// that tells the causes apart, with the headers already set.
func TestHTTPErrorHandler(t *testing.T) {
	f := newFixture(t)
	noScope := f.token(t, "", nil)
	failing := authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error { return errors.New("policy store down") })

	var mu sync.Mutex
	var got []string
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		var he *echo.HTTPError
		kind := "other"
		switch {
		case errors.Is(err, authz.ErrForbidden):
			kind = "forbidden"
		case errors.Is(err, authz.ErrInvalidToken):
			kind = "invalid"
		case errors.Is(err, authz.ErrMissingToken):
			kind = "missing"
		case errors.Is(err, authz.ErrKeysUnavailable):
			kind = "keys"
		}
		if !errors.As(err, &he) {
			kind += " (not an HTTPError)"
		}
		mu.Lock()
		got = append(got, fmt.Sprintf("%d %s %s", he.Code, kind, c.Response().Header().Get("WWW-Authenticate")))
		mu.Unlock()
		_ = c.NoContent(he.Code)
	}
	e.GET("/scoped", whoami, echo5auth.Require(f.v, authz.RequireScopes("admin")))
	e.GET("/failing", whoami, echo5auth.Require(f.v, failing))
	down := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
	tok := down.token(t, "admin", nil)
	down.iss.SetFailure(authztest.Fail5xx) // nothing cached
	e.GET("/down", whoami, echo5auth.Require(down.v))
	srv := serve(t, e)

	do(t, srv, http.MethodGet, "/scoped")
	do(t, srv, http.MethodGet, "/scoped", bearer("garbage")...)
	do(t, srv, http.MethodGet, "/scoped", bearer(noScope)...)
	if r := do(t, srv, http.MethodGet, "/failing", bearer(noScope)...); r.status != 500 || r.challenge != "" {
		t.Errorf("failing policy: %d %q", r.status, r.challenge)
	}
	if r := do(t, srv, http.MethodGet, "/down", bearer(tok)...); r.status != 503 || r.retryAfter != "5" {
		t.Errorf("keys unavailable: %d, Retry-After %q", r.status, r.retryAfter)
	}
	want := []string{
		`401 missing Bearer realm="api"`,
		`401 invalid Bearer realm="api", error="invalid_token", error_description="token is malformed"`,
		`403 forbidden Bearer realm="api", error="insufficient_scope", scope="admin"`,
		`500 other `,
		`503 keys `,
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error handler saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestNetHTTPErrorHandler: with nethttp.WithErrorHandler, that handler
// answers and echo's is not called.
func TestNetHTTPErrorHandler(t *testing.T) {
	f := newFixture(t)
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) { t.Errorf("echo's error handler called with %v", err) }
	e.GET("/", whoami, echo5auth.Middleware(f.v, nethttp.WithRealm("chat"),
		nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(nethttp.Status(err))
			_, _ = io.WriteString(w, "custom")
		})))
	got := do(t, serve(t, e), http.MethodGet, "/")
	if got.status != 401 || got.body != "custom" || got.challenge != `Bearer realm="chat"` {
		t.Errorf("got %d %q %q", got.status, got.body, got.challenge)
	}
}

func TestTenantFromParam(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", func(c map[string]any) {
		c["tenants"] = map[string]any{
			"acme":   map[string]any{"roles": []string{"admin"}},
			"globex": map[string]any{"roles": []string{"viewer"}},
		}
	})
	mw := echo5auth.Middleware(f.v,
		echo5auth.TenantFromParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	)
	e := echo.New()
	e.GET("/tenants/:tenant/settings", whoami, mw)
	e.Group("/orgs/:tenant", mw).GET("/billing", whoami)
	e.GET("/settings", whoami, mw)             // no parameter
	e.GET("/users/:user/settings", whoami, mw) // another parameter
	srv := serve(t, e)

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "admin in the tenant", path: "/tenants/acme/settings", wantStatus: 200, wantBody: "sub=user-1 scopes= tenant=acme same=true"},
		{name: "group middleware", path: "/orgs/acme/billing", wantStatus: 200, wantBody: "sub=user-1 scopes= tenant=acme same=true"},
		{name: "role held in another tenant only", path: "/tenants/globex/settings", wantStatus: 403, wantBody: `{"message":"Forbidden"}`},
		{name: "unknown tenant", path: "/tenants/initech/settings", wantStatus: 403},
		{name: "no parameter", path: "/settings", wantStatus: 403},
		{name: "other parameter", path: "/users/acme/settings", wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, http.MethodGet, tt.path, bearer(tok)...)
			if got.status != tt.wantStatus || (tt.wantBody != "" && got.body != tt.wantBody) {
				t.Errorf("got %d %q, want %d %q", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
			if got.status == 403 && got.challenge != `Bearer realm="api", error="insufficient_scope"` {
				t.Errorf("WWW-Authenticate = %s", got.challenge)
			}
		})
	}

	// e.Use middleware runs after routing: the parameter is known.
	e2 := echo.New()
	e2.Use(mw)
	e2.GET("/t/:tenant", whoami)
	if got := do(t, serve(t, e2), http.MethodGet, "/t/acme", bearer(tok)...); got.status != 200 || got.body != "sub=user-1 scopes= tenant=acme same=true" {
		t.Errorf("e.Use: got %d %q", got.status, got.body)
	}

	// Outside echo5auth, TenantFromParam finds no *echo.Context: no tenant.
	h := nethttp.Middleware(f.v, echo5auth.TenantFromParam("tenant"), nethttp.WithPolicy(authz.TenantMember(authz.RequestTenant)))(http.NotFoundHandler())
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("TenantFromParam in nethttp: %d, want 403", w.Code)
	}
}

func TestGuard(t *testing.T) {
	f := newFixture(t)
	reader := f.token(t, "read:messages", nil)
	auth, err := echo5auth.New(f.v, nethttp.WithRealm("chat"), nethttp.WithPolicy(authz.RequireScopes("read:messages")))
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	api := e.Group("/api", auth.Middleware)
	api.GET("/messages", whoami)
	api.POST("/messages", whoami, auth.Require(authz.RequireScopes("write:messages")))
	e.GET("/public", whoami, echo5auth.Middleware(f.v, nethttp.Optional()))
	srv := serve(t, e)

	tests := []struct {
		name, method, path string
		auth               []string
		wantStatus         int
		wantChallenge      string
		wantBody           string
	}{
		{name: "group", method: "GET", path: "/api/messages", auth: bearer(reader), wantStatus: 200,
			wantBody: "sub=user-1 scopes=read:messages tenant= same=true"},
		{name: "shared realm", method: "GET", path: "/api/messages", wantStatus: 401, wantChallenge: `Bearer realm="chat"`},
		{name: "route adds a policy", method: "POST", path: "/api/messages", auth: bearer(reader), wantStatus: 403,
			wantChallenge: `Bearer realm="chat", error="insufficient_scope", scope="write:messages"`},
		{name: "optional without token", method: "GET", path: "/public", wantStatus: 200, wantBody: "anonymous"},
		{name: "optional with bad token", method: "GET", path: "/public", auth: bearer("garbage"), wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token is malformed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, srv, tt.method, tt.path, tt.auth...)
			if got.status != tt.wantStatus || got.challenge != tt.wantChallenge || (tt.wantBody != "" && got.body != tt.wantBody) {
				t.Errorf("got %d %q %q, want %d %q %q", got.status, got.challenge, got.body, tt.wantStatus, tt.wantChallenge, tt.wantBody)
			}
		})
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
		{name: "with options", v: f.v, opts: []nethttp.Option{echo5auth.TenantFromParam("t"), nethttp.WithRealm("x")}},
		{name: "nil validator", v: nil, wantErr: "nil Validator"},
		{name: "nil policy", v: f.v, opts: []nethttp.Option{nethttp.WithPolicy(nil)}, wantErr: "WithPolicy(nil)"},
		{name: "nil error handler", v: f.v, opts: []nethttp.Option{nethttp.WithErrorHandler(nil)}, wantErr: "WithErrorHandler(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := echo5auth.New(tt.v, tt.opts...)
			if tt.wantErr == "" {
				if err != nil || g == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPanics(t *testing.T) {
	f := newFixture(t)
	g, err := echo5auth.New(f.v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func()
	}{
		{"Middleware nil validator", func() { echo5auth.Middleware(nil) }},
		{"Require nil validator", func() { echo5auth.Require(nil) }},
		{"Require nil policy", func() { echo5auth.Require(f.v, nil) }},
		{"Guard.Require nil policy", func() { g.Require(nil) }},
		{"Guard.Middleware nil", func() { g.Middleware(nil) }},
		{"TenantFromParam empty", func() { echo5auth.TenantFromParam("") }},
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

func TestClaimsFromContextEmpty(t *testing.T) {
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	if claims, ok := echo5auth.ClaimsFromContext(c); ok || claims != nil {
		t.Errorf("got %v, %v", claims, ok)
	}
	c.Set("claims", &authz.Claims{})
	if _, ok := echo5auth.ClaimsFromContext(c); ok {
		t.Error("read a foreign key")
	}
}
