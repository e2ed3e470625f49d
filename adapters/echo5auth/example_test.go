package echo5auth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/jwtguard/jwtguard/adapters/echo5auth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func ExampleRequire() {
	iss, _ := authztest.New() // a test issuer; in production, authz.Auth0(...) and the like
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	e := echo.New()
	e.POST("/rooms/:room/messages", func(c *echo.Context) error {
		claims, _ := echo5auth.ClaimsFromContext(c)
		return c.String(http.StatusOK, claims.Subject+" posted to "+c.Param("room"))
	}, echo5auth.Require(v, authz.RequireScopes("read:messages", "write:messages")))
	srv := httptest.NewServer(e)
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
		fmt.Printf("%d %s %q\n", res.StatusCode, body, res.Header.Get("WWW-Authenticate"))
	}

	writer := iss.Claims("user-1", "my-api")
	writer["scope"] = "read:messages write:messages"
	reader := iss.Claims("user-2", "my-api")
	reader["scope"] = "read:messages"
	call(mint(iss, writer))
	call(mint(iss, reader))
	call("not-a-jwt")
	// Output:
	// 200 user-1 posted to lobby ""
	// 403 {"message":"Forbidden"}
	//  "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"read:messages write:messages\""
	// 401 {"message":"Unauthorized"}
	//  "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token is malformed\""
}

func ExampleNew() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	// One Guard for the group, with a realm; the route that writes adds its
	// own policy. echo's error handler answers every refusal, telling the
	// causes apart with errors.Is; the challenge is already set.
	auth, err := echo5auth.New(v, nethttp.WithRealm("chat"))
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		reason := "unauthorized"
		switch {
		case errors.Is(err, authz.ErrForbidden):
			reason = "forbidden"
		case errors.Is(err, authz.ErrKeysUnavailable):
			reason = "try again later"
		}
		_ = c.JSON(echo.StatusCode(err), map[string]string{"error": reason})
	}
	api := e.Group("/api", auth.Middleware)
	api.GET("/messages", func(c *echo.Context) error {
		claims, _ := nethttp.ClaimsFromContext(c.Request().Context()) // the request context has them too
		return c.String(http.StatusOK, "messages for "+claims.Subject)
	})
	api.POST("/messages", func(c *echo.Context) error {
		return c.NoContent(http.StatusCreated)
	}, auth.Require(authz.RequireScopes("write:messages")))

	reader := iss.Claims("user-1", "my-api")
	reader["scope"] = "read:messages"
	token := mint(iss, reader)
	for _, req := range []struct{ method, path, token string }{
		{"GET", "/api/messages", token},
		{"POST", "/api/messages", token},
		{"GET", "/api/messages", ""},
	} {
		r := httptest.NewRequest(req.method, req.path, nil)
		if req.token != "" {
			r.Header.Set("Authorization", "Bearer "+req.token)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		fmt.Printf("%s %s %d %s %q\n", req.method, req.path, w.Code, strings.TrimSpace(w.Body.String()), w.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// GET /api/messages 200 messages for user-1 ""
	// POST /api/messages 403 {"error":"forbidden"} "Bearer realm=\"chat\", error=\"insufficient_scope\", scope=\"write:messages\""
	// GET /api/messages 401 {"error":"unauthorized"} "Bearer realm=\"chat\""
}

func ExampleTenantFromParam() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	// Admins of a tenant, and only of that tenant, may read its settings.
	e := echo.New()
	e.GET("/tenants/:tenant/settings", func(c *echo.Context) error {
		return c.String(http.StatusOK, "settings of "+c.Param("tenant"))
	}, echo5auth.Middleware(v,
		echo5auth.TenantFromParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	))

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
		e.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 settings of acme
	// 403 {"message":"Forbidden"}
}

func mint(iss *authztest.Issuer, claims map[string]any) string {
	tok, err := iss.Mint(claims)
	if err != nil {
		panic(err)
	}
	return tok
}
