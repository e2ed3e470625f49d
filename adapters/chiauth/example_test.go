package chiauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/chiauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func ExampleRequire() {
	iss, _ := authztest.New() // a test issuer; in production, authz.Auth0(...) and the like
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	r := chi.NewRouter()
	r.With(chiauth.Require(v, authz.RequireScopes("read:messages", "write:messages"))).
		Post("/rooms/{room}/messages", func(w http.ResponseWriter, r *http.Request) {
			claims, _ := nethttp.ClaimsFromContext(r.Context())
			pattern, _ := chiauth.RoutePatternFromContext(r.Context())
			fmt.Fprintln(w, claims.Subject, "posted to", chi.URLParam(r, "room"), "via", pattern)
		})
	srv := httptest.NewServer(r)
	defer srv.Close()

	call := func(token string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/rooms/lobby/messages", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if c := res.Header.Get("WWW-Authenticate"); c != "" {
			fmt.Println(res.StatusCode, c)
			return
		}
		fmt.Print(res.StatusCode, " ", string(body))
	}

	writer := iss.Claims("user-1", "my-api")
	writer["scope"] = "read:messages write:messages"
	reader := iss.Claims("user-2", "my-api")
	reader["scope"] = "read:messages"
	call(mint(iss, writer))
	call(mint(iss, reader))
	call("not-a-jwt")
	// Output:
	// 200 user-1 posted to lobby via /rooms/{room}/messages
	// 403 Bearer realm="api", error="insufficient_scope", scope="read:messages write:messages"
	// 401 Bearer realm="api", error="invalid_token", error_description="token is malformed"
}

func ExampleTenantFromURLParam() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	// Admins of a tenant, and only of that tenant, may read its settings.
	r := chi.NewRouter()
	r.With(chiauth.Middleware(v,
		chiauth.TenantFromURLParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	)).Get("/tenants/{tenant}/settings", func(w http.ResponseWriter, r *http.Request) {
		tenant, _ := authz.TenantFromContext(r.Context())
		fmt.Fprintln(w, "settings of", tenant)
	})

	claims := iss.Claims("user-1", "my-api")
	claims["tenants"] = map[string]any{
		"acme":   map[string]any{"roles": []string{"admin"}},
		"globex": map[string]any{"roles": []string{"viewer"}},
	}
	token := mint(iss, claims)
	for _, tenant := range []string{"acme", "globex"} {
		req := httptest.NewRequest(http.MethodGet, "/tenants/"+tenant+"/settings", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 settings of acme
	// 403 Forbidden
}

func ExampleRoutePatternFromContext() {
	iss, _ := authztest.New()
	defer iss.Close()
	// A Validate hook, as a logger or tracer would attach, sees the route.
	logRoute := authz.WithHooks(authz.Hooks{Validate: func(next authz.ValidateFunc) authz.ValidateFunc {
		return func(ctx context.Context, token string) (*authz.Claims, error) {
			claims, err := next(ctx, token)
			route, _ := chiauth.RoutePatternFromContext(ctx)
			fmt.Printf("route=%s ok=%t\n", route, err == nil)
			return claims, err
		}
	}})
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")}, logRoute)
	defer v.Close()

	r := chi.NewRouter()
	r.With(chiauth.Require(v)).Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {})

	req := httptest.NewRequest(http.MethodGet, "/users/42", nil)
	req.Header.Set("Authorization", "Bearer "+mint(iss, iss.Claims("user-1", "my-api")))
	r.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// route=/users/{id} ok=true
}

func mint(iss *authztest.Issuer, claims map[string]any) string {
	tok, err := iss.Mint(claims)
	if err != nil {
		panic(err)
	}
	return tok
}
