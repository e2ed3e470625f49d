package ginauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard/adapters/ginauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no route listing on stdout, which the examples read
	os.Exit(m.Run())
}

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
func whoami(c *gin.Context) {
	tenant, _ := authz.TenantFromContext(c.Request.Context())
	claims, ok := ginauth.ClaimsFromContext(c)
	if !ok {
		c.String(http.StatusOK, "anonymous")
		return
	}
	fromReq, _ := nethttp.ClaimsFromContext(c.Request.Context())
	c.String(http.StatusOK, "sub=%s scopes=%s tenant=%s same=%t",
		claims.Subject, strings.Join(claims.Scopes, " "), tenant, fromReq == claims)
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

func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func bearer(tok string) []string { return []string{"Bearer " + tok} }

// TestRequire covers 200, 400, 401 and 403 through a gin engine on a real
// server.
func TestRequire(t *testing.T) {
	f := newFixture(t)
	both := f.token(t, "read:messages write:messages", nil)
	readOnly := f.token(t, "read:messages", nil)
	expired := f.token(t, "read:messages write:messages", func(c map[string]any) {
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})

	r := gin.New()
	reached := 0
	var mu sync.Mutex
	after := func(c *gin.Context) { mu.Lock(); reached++; mu.Unlock(); c.Next() }
	r.GET("/messages/:id", ginauth.Require(f.v, authz.RequireScopes("read:messages", "write:messages")), after, whoami)
	srv := serve(t, r)

	tests := []struct {
		name          string
		auth          []string
		wantStatus    int
		wantChallenge string
		wantBody      string
	}{
		{name: "no token", wantStatus: 401, wantChallenge: `Bearer realm="api"`, wantBody: "Unauthorized"},
		{name: "basic scheme", auth: []string{"Basic dXNlcjpwYXNz"}, wantStatus: 401, wantChallenge: `Bearer realm="api"`},
		{name: "garbage token", auth: bearer("garbage"), wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token is malformed"`},
		{name: "expired", auth: bearer(expired), wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
		{name: "missing scope", auth: bearer(readOnly), wantStatus: 403,
			wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="read:messages write:messages"`,
			wantBody:      "Forbidden"},
		{name: "two Authorization headers", auth: []string{"Bearer " + both, "Bearer " + both}, wantStatus: 400,
			wantChallenge: `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`,
			wantBody:      "Bad Request"},
		{name: "valid", auth: bearer(both), wantStatus: 200, wantBody: "sub=user-1 scopes=read:messages write:messages tenant= same=true"},
		{name: "scheme in lower case", auth: []string{"bearer " + both}, wantStatus: 200, wantBody: "sub=user-1 scopes=read:messages write:messages tenant= same=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			before := reached
			mu.Unlock()
			got := do(t, srv, http.MethodGet, "/messages/1", tt.auth...)
			if got.status != tt.wantStatus || got.challenge != tt.wantChallenge {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.challenge, tt.wantStatus, tt.wantChallenge)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if got.status != 200 && got.contentType != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q, want nethttp's plain text", got.contentType)
			}
			mu.Lock()
			ran := reached != before
			mu.Unlock()
			if ran != (got.status == 200) {
				t.Errorf("status %d, but the next handler ran: %t (want Abort on a refusal)", got.status, ran)
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
// nothing cached) give 503 with Retry-After and no challenge.
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
		{name: "WithRetryAfter", opts: []nethttp.Option{nethttp.WithRetryAfter(30 * time.Second)}, auth: bearer(good), wantStatus: 503, wantRetryAfter: "30"},
		{name: "with a policy", opts: []nethttp.Option{nethttp.WithPolicy(authz.RequireScopes("admin"))}, auth: bearer(good), wantStatus: 503, wantRetryAfter: "5"},
		{name: "expired token", auth: bearer(expired), wantStatus: 401, wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			r.GET("/", ginauth.Middleware(f.v, tt.opts...), whoami)
			got := do(t, serve(t, r), http.MethodGet, "/", tt.auth...)
			if got.status != tt.wantStatus || got.retryAfter != tt.wantRetryAfter || got.challenge != tt.wantChallenge {
				t.Errorf("got %d, Retry-After %q, WWW-Authenticate %q; want %d, %q, %q",
					got.status, got.retryAfter, got.challenge, tt.wantStatus, tt.wantRetryAfter, tt.wantChallenge)
			}
			if got.status == 503 && got.body != "Service Unavailable" {
				t.Errorf("body = %q", got.body)
			}
		})
	}
}

// TestErrorHandler: WithErrorHandler answers the gin way, with the status,
// headers and c.Errors already set, and an error that tells the causes
// apart.
func TestErrorHandler(t *testing.T) {
	f := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
	noScope := f.token(t, "", nil)
	failing := authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error { return errors.New("policy store down") })

	var mu sync.Mutex
	var got []string
	handler := ginauth.WithErrorHandler(func(c *gin.Context, err error) {
		kind := "other"
		switch {
		case errors.Is(err, authz.ErrForbidden):
			kind = "forbidden"
		case errors.Is(err, authz.ErrKeysUnavailable):
			kind = "keys"
		case errors.Is(err, authz.ErrMissingToken):
			kind = "missing"
		case errors.Is(err, authz.ErrInvalidToken):
			kind = "invalid"
		case errors.Is(err, nethttp.ErrInvalidRequest):
			kind = "request"
		}
		if last := c.Errors.Last(); last == nil || !errors.Is(last, err) || last.Type != gin.ErrorTypePrivate {
			kind += " (not in c.Errors)"
		}
		if !c.IsAborted() {
			kind += " (not aborted)"
		}
		mu.Lock()
		got = append(got, fmt.Sprintf("%d %s %s", c.Writer.Status(), kind, c.Writer.Header().Get("WWW-Authenticate")))
		mu.Unlock()
		c.JSON(nethttp.Status(err), gin.H{"error": http.StatusText(nethttp.Status(err))})
	})
	r := gin.New()
	r.GET("/scoped", ginauth.Middleware(f.v, handler, nethttp.WithPolicy(authz.RequireScopes("admin"))), whoami)
	r.GET("/failing", ginauth.Middleware(f.v, handler, nethttp.WithPolicy(failing)), whoami)
	srv := serve(t, r)

	res := do(t, srv, http.MethodGet, "/scoped")
	if res.status != 401 || res.body != `{"error":"Unauthorized"}` || res.contentType != "application/json; charset=utf-8" || res.challenge != `Bearer realm="api"` {
		t.Errorf("got %d %q %q %q", res.status, res.body, res.contentType, res.challenge)
	}
	do(t, srv, http.MethodGet, "/scoped", bearer("x.y.z")...)
	do(t, srv, http.MethodGet, "/scoped", "Bearer a", "Bearer b")
	do(t, srv, http.MethodGet, "/scoped", bearer(noScope)...)
	if res := do(t, srv, http.MethodGet, "/failing", bearer(noScope)...); res.status != 500 {
		t.Errorf("failing policy: %d", res.status)
	}
	f2 := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
	tok := f2.token(t, "admin", nil)
	f2.iss.SetFailure(authztest.Fail5xx)
	r2 := gin.New()
	r2.GET("/", ginauth.Middleware(f2.v, handler), whoami)
	if res := do(t, serve(t, r2), http.MethodGet, "/", bearer(tok)...); res.status != 503 || res.retryAfter != "5" {
		t.Errorf("keys unavailable: %d, Retry-After %q", res.status, res.retryAfter)
	}

	want := []string{
		`401 missing Bearer realm="api"`,
		`401 invalid Bearer realm="api", error="invalid_token", error_description="token is malformed"`,
		`400 request Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`,
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

// TestErrorHandlerWritesNothing: a handler that writes nothing still
// sends the status, never gin's default 200.
func TestErrorHandlerWritesNothing(t *testing.T) {
	f := newFixture(t)
	r := gin.New()
	r.GET("/", ginauth.Middleware(f.v, ginauth.WithErrorHandler(func(*gin.Context, error) {})), whoami)
	if got := do(t, serve(t, r), http.MethodGet, "/"); got.status != 401 || got.body != "" || got.challenge != `Bearer realm="api"` {
		t.Errorf("got %d %q %q", got.status, got.body, got.challenge)
	}
}

// TestNetHTTPErrorHandler: nethttp.WithErrorHandler works on c.Writer, and
// ginauth.WithErrorHandler outside ginauth answers as nethttp does.
func TestNetHTTPErrorHandler(t *testing.T) {
	f := newFixture(t)
	r := gin.New()
	r.GET("/", ginauth.Middleware(f.v, nethttp.WithRealm("chat"),
		nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(nethttp.Status(err))
			_, _ = io.WriteString(w, "custom")
		})), whoami)
	got := do(t, serve(t, r), http.MethodGet, "/")
	if got.status != 401 || got.body != "custom" || got.challenge != `Bearer realm="chat"` {
		t.Errorf("got %d %q %q", got.status, got.body, got.challenge)
	}

	h := nethttp.Middleware(f.v, ginauth.WithErrorHandler(func(c *gin.Context, err error) {
		t.Error("gin handler called outside gin")
	}))(http.NotFoundHandler())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 401 || w.Body.String() != "Unauthorized\n" || w.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("outside gin: %d %q %q", w.Code, w.Body.String(), w.Header().Get("WWW-Authenticate"))
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
	mw := ginauth.Middleware(f.v,
		ginauth.TenantFromParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	)
	r := gin.New()
	r.GET("/tenants/:tenant/settings", mw, whoami)
	r.Group("/orgs/:tenant", mw).GET("/billing", whoami)
	r.GET("/settings", mw, whoami)             // no parameter
	r.GET("/users/:user/settings", mw, whoami) // another parameter
	srv := serve(t, r)

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "admin in the tenant", path: "/tenants/acme/settings", wantStatus: 200, wantBody: "sub=user-1 scopes= tenant=acme same=true"},
		{name: "group middleware", path: "/orgs/acme/billing", wantStatus: 200, wantBody: "sub=user-1 scopes= tenant=acme same=true"},
		{name: "role held in another tenant only", path: "/tenants/globex/settings", wantStatus: 403, wantBody: "Forbidden"},
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

	// r.Use middleware also runs after routing: the parameter is known.
	r2 := gin.New()
	r2.Use(mw)
	r2.GET("/t/:tenant", whoami)
	if got := do(t, serve(t, r2), http.MethodGet, "/t/acme", bearer(tok)...); got.status != 200 || got.body != "sub=user-1 scopes= tenant=acme same=true" {
		t.Errorf("r.Use: got %d %q", got.status, got.body)
	}

	// Outside ginauth, TenantFromParam finds no gin.Context: no tenant.
	h := nethttp.Middleware(f.v, ginauth.TenantFromParam("tenant"), nethttp.WithPolicy(authz.TenantMember(authz.RequestTenant)))(http.NotFoundHandler())
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("TenantFromParam in nethttp: %d, want 403", w.Code)
	}
}

func TestGuard(t *testing.T) {
	f := newFixture(t)
	reader := f.token(t, "read:messages", nil)
	auth, err := ginauth.New(f.v, nethttp.WithRealm("chat"), nethttp.WithPolicy(authz.RequireScopes("read:messages")))
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	api := r.Group("/api", auth.Handle)
	api.GET("/messages", whoami)
	api.POST("/messages", auth.Require(authz.RequireScopes("write:messages")), whoami)
	r.GET("/public", ginauth.Middleware(f.v, nethttp.Optional()), whoami)
	srv := serve(t, r)

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
		{name: "optional with valid token", method: "GET", path: "/public", auth: bearer(reader), wantStatus: 200,
			wantBody: "sub=user-1 scopes=read:messages tenant= same=true"},
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

// TestContextWithFallback: with gin's ContextWithFallback, the gin.Context
// itself answers nethttp.ClaimsFromContext, and c.Copy keeps the claims.
func TestContextWithFallback(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", nil)
	r := gin.New()
	r.ContextWithFallback = true
	r.GET("/", ginauth.Require(f.v), func(c *gin.Context) {
		a, _ := nethttp.ClaimsFromContext(c)
		b, _ := ginauth.ClaimsFromContext(c.Copy())
		c.String(http.StatusOK, "%t %t", a != nil && a.Subject == "user-1", b != nil && b == a)
	})
	if got := do(t, serve(t, r), http.MethodGet, "/", bearer(tok)...); got.status != 200 || got.body != "true true" {
		t.Errorf("got %d %q", got.status, got.body)
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
		{name: "with options", v: f.v, opts: []nethttp.Option{ginauth.TenantFromParam("t"), nethttp.WithRealm("x"),
			ginauth.WithErrorHandler(func(*gin.Context, error) {})}},
		{name: "nil validator", v: nil, wantErr: "nil Validator"},
		{name: "nil policy", v: f.v, opts: []nethttp.Option{nethttp.WithPolicy(nil)}, wantErr: "WithPolicy(nil)"},
		{name: "nil error handler", v: f.v, opts: []nethttp.Option{ginauth.WithErrorHandler(nil)}, wantErr: "WithErrorHandler(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ginauth.New(tt.v, tt.opts...)
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
	g, err := ginauth.New(f.v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func()
	}{
		{"Middleware nil validator", func() { ginauth.Middleware(nil) }},
		{"Require nil validator", func() { ginauth.Require(nil) }},
		{"Require nil policy", func() { ginauth.Require(f.v, nil) }},
		{"Guard.Require nil policy", func() { g.Require(nil) }},
		{"TenantFromParam empty", func() { ginauth.TenantFromParam("") }},
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
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if claims, ok := ginauth.ClaimsFromContext(c); ok || claims != nil {
		t.Errorf("got %v, %v", claims, ok)
	}
	c.Set("claims", &authz.Claims{})
	if _, ok := ginauth.ClaimsFromContext(c); ok {
		t.Error("read a foreign key")
	}
}

// TestUseUnmatchedPath: gin runs the handlers of r.Use for a path no route
// matches too, so behind a Guard there such a path answers 401, not 404
// (as docs/adapters.md says).
func TestUseUnmatchedPath(t *testing.T) {
	f := newFixture(t)
	r := gin.New()
	r.Use(ginauth.Middleware(f.v))
	r.GET("/x", whoami)
	srv := serve(t, r)
	if got := do(t, srv, http.MethodGet, "/nope"); got.status != 401 || got.challenge != `Bearer realm="api"` {
		t.Errorf("no token: got %d %q", got.status, got.challenge)
	}
	if got := do(t, srv, http.MethodGet, "/nope", bearer(f.token(t, "", nil))...); got.status != 404 {
		t.Errorf("valid token: got %d, want gin's 404", got.status)
	}
}
