package chiauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/chiauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

const audience = "my-api"

// fixture is a test issuer and a Validator that trusts it, whose Validate
// hook records the route pattern it saw.
type fixture struct {
	iss *authztest.Issuer
	v   *authz.Validator

	mu          sync.Mutex
	hookPattern string
}

func newFixture(t testing.TB, opts ...authz.Option) *fixture {
	t.Helper()
	f := &fixture{iss: authztest.NewT(t)}
	hook := authz.WithHooks(authz.Hooks{Validate: func(next authz.ValidateFunc) authz.ValidateFunc {
		return func(ctx context.Context, token string) (*authz.Claims, error) {
			p, _ := chiauth.RoutePatternFromContext(ctx)
			f.mu.Lock()
			f.hookPattern = p
			f.mu.Unlock()
			return next(ctx, token)
		}
	}})
	v, err := authz.New([]authz.Issuer{f.iss.OIDC(audience)}, append([]authz.Option{authz.WithoutBackground(), hook}, opts...)...)
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	f.v = v
	return f
}

func (f *fixture) lastHookPattern() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hookPattern
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

// whoami writes what the handler sees: claims, route pattern and tenant.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := chiauth.RoutePatternFromContext(r.Context())
	tenant, _ := authz.TenantFromContext(r.Context())
	c, ok := nethttp.ClaimsFromContext(r.Context())
	if !ok {
		_, _ = fmt.Fprintf(w, "anonymous pattern=%s", p)
		return
	}
	_, _ = fmt.Fprintf(w, "sub=%s scopes=%s pattern=%s tenant=%s", c.Subject, strings.Join(c.Scopes, " "), p, tenant)
})

type response struct {
	status                      int
	challenge, retryAfter, body string
}

func get(t testing.TB, srv *httptest.Server, path, token string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
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
		status:     res.StatusCode,
		challenge:  res.Header.Get("WWW-Authenticate"),
		retryAfter: res.Header.Get("Retry-After"),
		body:       strings.TrimSuffix(string(b), "\n"),
	}
}

func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestRoutePattern checks which pattern a policy, the Validate hook, and
// the handler see, wherever the Guard is placed.
func TestRoutePattern(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "read:messages", nil)

	var mu sync.Mutex
	var policyPattern string
	recordPattern := authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error {
		p, _ := chiauth.RoutePatternFromContext(ctx)
		mu.Lock()
		policyPattern = p
		mu.Unlock()
		return nil
	})
	mw := chiauth.Require(f.v, recordPattern)

	tests := []struct {
		name        string
		route       func(r chi.Router)
		path        string
		wantPattern string
	}{
		{
			name:        "With on the root router",
			route:       func(r chi.Router) { r.With(mw).Get("/messages/{id}", whoami) },
			path:        "/messages/7",
			wantPattern: "/messages/{id}",
		},
		{
			name: "With inside Route",
			route: func(r chi.Router) {
				r.Route("/tenants/{tenant}", func(r chi.Router) { r.With(mw).Get("/users/{user}", whoami) })
			},
			path:        "/tenants/acme/users/u1",
			wantPattern: "/tenants/{tenant}/users/{user}",
		},
		{
			name: "Use inside Group",
			route: func(r chi.Router) {
				r.Group(func(r chi.Router) {
					r.Use(mw)
					r.Get("/reports/{year}", whoami)
				})
			},
			path:        "/reports/2024",
			wantPattern: "/reports/{year}",
		},
		{
			name: "With inside a mounted router",
			route: func(r chi.Router) {
				sub := chi.NewRouter()
				sub.With(mw).Get("/items/{id}", whoami)
				r.Mount("/shop", sub)
			},
			path:        "/shop/items/9",
			wantPattern: "/shop/items/{id}",
		},
		{
			name:        "catch-all route",
			route:       func(r chi.Router) { r.With(mw).Get("/files/*", whoami) },
			path:        "/files/a/b",
			wantPattern: "/files/*",
		},
		{
			// Use in a subrouter runs once the mount point matched,
			// before the subrouter's own routing.
			name: "Use inside Route knows the mount point only",
			route: func(r chi.Router) {
				r.Route("/api", func(r chi.Router) {
					r.Use(mw)
					r.Get("/items/{id}", whoami)
				})
			},
			path:        "/api/items/3",
			wantPattern: "/api/*",
		},
		{
			// Use on the root router runs before chi routes at all.
			name: "Use on the root router knows nothing yet",
			route: func(r chi.Router) {
				r.Use(mw)
				r.Get("/items/{id}", whoami)
			},
			path:        "/items/3",
			wantPattern: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chi.NewRouter()
			tt.route(r)
			got := get(t, serve(t, r), tt.path, tok)
			want := "sub=user-1 scopes=read:messages pattern=" + tt.wantPattern + " tenant="
			if got.status != 200 || got.body != want {
				t.Fatalf("got %d %q, want 200 %q", got.status, got.body, want)
			}
			mu.Lock()
			p := policyPattern
			mu.Unlock()
			if p != tt.wantPattern {
				t.Errorf("policy saw pattern %q, want %q", p, tt.wantPattern)
			}
			if hp := f.lastHookPattern(); hp != tt.wantPattern {
				t.Errorf("Validate hook saw pattern %q, want %q", hp, tt.wantPattern)
			}
		})
	}
}

func TestRoutePatternInErrorHandler(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var seen string
	mw := chiauth.Middleware(f.v, nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		p, _ := chiauth.RoutePatternFromContext(r.Context())
		mu.Lock()
		seen = p
		mu.Unlock()
		w.WriteHeader(nethttp.Status(err))
	}))
	r := chi.NewRouter()
	r.With(mw).Get("/orders/{id}", whoami)
	if got := get(t, serve(t, r), "/orders/1", ""); got.status != 401 {
		t.Fatalf("status = %d", got.status)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen != "/orders/{id}" {
		t.Errorf("error handler saw pattern %q", seen)
	}
}

func TestTenantFromURLParam(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", func(c map[string]any) {
		c["tenants"] = map[string]any{
			"acme":   map[string]any{"roles": []string{"admin"}},
			"globex": map[string]any{"roles": []string{"viewer"}},
		}
	})
	mw := chiauth.Middleware(f.v,
		chiauth.TenantFromURLParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	)
	r := chi.NewRouter()
	r.With(mw).Get("/tenants/{tenant}/settings", whoami)
	r.Route("/orgs/{tenant}", func(r chi.Router) { r.With(mw).Get("/billing", whoami) })
	r.With(mw).Get("/settings", whoami) // no tenant parameter
	r.Route("/late/{tenant}", func(r chi.Router) {
		r.Route("/x/{other}", func(r chi.Router) {
			r.Use(mw) // the mount points' parameters are known
			r.Get("/y", whoami)
		})
	})
	srv := serve(t, r)

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "admin in the tenant", path: "/tenants/acme/settings", wantStatus: 200,
			wantBody: "sub=user-1 scopes= pattern=/tenants/{tenant}/settings tenant=acme"},
		{name: "parameter of a Route", path: "/orgs/acme/billing", wantStatus: 200,
			wantBody: "sub=user-1 scopes= pattern=/orgs/{tenant}/billing tenant=acme"},
		{name: "parameter of a mount point, Use", path: "/late/acme/x/1/y", wantStatus: 200,
			wantBody: "sub=user-1 scopes= pattern=/late/{tenant}/x/{other}/* tenant=acme"},
		{name: "role held in another tenant only", path: "/tenants/globex/settings", wantStatus: 403, wantBody: "Forbidden"},
		{name: "unknown tenant", path: "/tenants/initech/settings", wantStatus: 403, wantBody: "Forbidden"},
		{name: "no tenant parameter", path: "/settings", wantStatus: 403, wantBody: "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, srv, tt.path, tok)
			if got.status != tt.wantStatus || got.body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
			if got.status == 403 && got.challenge != `Bearer realm="api", error="insufficient_scope"` {
				t.Errorf("WWW-Authenticate = %s", got.challenge)
			}
		})
	}
}

func TestGuardRequire(t *testing.T) {
	f := newFixture(t)
	reader := f.token(t, "read:messages", nil)
	auth, err := chiauth.New(f.v, nethttp.WithRealm("chat"), nethttp.WithPolicy(authz.RequireScopes("read:messages")))
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.With(auth.Require()).Get("/messages", whoami)
	r.With(auth.Require(authz.RequireScopes("write:messages"))).Post("/messages", whoami)
	r.With(auth.Handler).Get("/inbox", whoami)
	optional := chiauth.Middleware(f.v, nethttp.Optional())
	r.With(optional).Get("/public", whoami)
	srv := serve(t, r)

	tests := []struct {
		name, method, path, token string
		wantStatus                int
		wantChallenge             string
	}{
		{name: "shared options and policy", method: "GET", path: "/messages", token: reader, wantStatus: 200},
		{name: "Handler", method: "GET", path: "/inbox", token: reader, wantStatus: 200},
		{name: "shared realm", method: "GET", path: "/messages", wantStatus: 401, wantChallenge: `Bearer realm="chat"`},
		{name: "route adds a policy", method: "POST", path: "/messages", token: reader, wantStatus: 403,
			wantChallenge: `Bearer realm="chat", error="insufficient_scope", scope="write:messages"`},
		{name: "optional without token", method: "GET", path: "/public", wantStatus: 200},
		{name: "optional with bad token", method: "GET", path: "/public", token: "garbage", wantStatus: 401,
			wantChallenge: `Bearer realm="api", error="invalid_token", error_description="token is malformed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
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
}

// TestOutsideChi: a Guard around a plain ServeMux handler records
// net/http's pattern.
func TestOutsideChi(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", nil)
	mux := http.NewServeMux()
	mux.Handle("GET /things/{id}", chiauth.Require(f.v)(whoami))
	got := get(t, serve(t, mux), "/things/1", tok)
	if want := "sub=user-1 scopes= pattern=GET /things/{id} tenant="; got.status != 200 || got.body != want {
		t.Errorf("got %d %q, want 200 %q", got.status, got.body, want)
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
		{name: "with options", v: f.v, opts: []nethttp.Option{chiauth.TenantFromURLParam("t"), nethttp.WithRealm("x")}},
		{name: "nil validator", v: nil, wantErr: "nil Validator"},
		{name: "nil policy", v: f.v, opts: []nethttp.Option{nethttp.WithPolicy(nil)}, wantErr: "WithPolicy(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := chiauth.New(tt.v, tt.opts...)
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
	g, err := chiauth.New(f.v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func()
	}{
		{"Middleware nil validator", func() { chiauth.Middleware(nil) }},
		{"Require nil validator", func() { chiauth.Require(nil) }},
		{"Require nil policy", func() { chiauth.Require(f.v, nil) }},
		{"Guard.Require nil policy", func() { g.Require(nil) }},
		{"Handler nil", func() { g.Handler(nil) }},
		{"TenantFromURLParam empty", func() { chiauth.TenantFromURLParam("") }},
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

func TestRoutePatternFromContextEmpty(t *testing.T) {
	if p, ok := chiauth.RoutePatternFromContext(context.Background()); ok || p != "" {
		t.Errorf("got %q, %v", p, ok)
	}
}
