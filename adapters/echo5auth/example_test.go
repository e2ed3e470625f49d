package echo5auth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

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
