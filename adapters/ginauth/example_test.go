package ginauth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard/adapters/ginauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func ExampleRequire() {
	iss, _ := authztest.New() // a test issuer; in production, authz.Auth0(...) and the like
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	r := gin.New()
	r.POST("/rooms/:room/messages", ginauth.Require(v, authz.RequireScopes("read:messages", "write:messages")), func(c *gin.Context) {
		claims, _ := ginauth.ClaimsFromContext(c)
		c.String(http.StatusOK, claims.Subject+" posted to "+c.Param("room"))
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
		fmt.Printf("%d %q %q\n", res.StatusCode, body, res.Header.Get("WWW-Authenticate"))
	}

	writer := iss.Claims("user-1", "my-api")
	writer["scope"] = "read:messages write:messages"
	reader := iss.Claims("user-2", "my-api")
	reader["scope"] = "read:messages"
	call(mint(iss, writer))
	call(mint(iss, reader))
	call("not-a-jwt")
	// Output:
	// 200 "user-1 posted to lobby" ""
	// 403 "Forbidden\n" "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"read:messages write:messages\""
	// 401 "Unauthorized\n" "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token is malformed\""
}

func ExampleNew() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	// One Guard for the group: a realm, JSON errors, any valid token; the
	// route that writes adds its own policy. Anonymous callers may read
	// the public page.
	auth, err := ginauth.New(v,
		nethttp.WithRealm("chat"),
		ginauth.WithErrorHandler(func(c *gin.Context, err error) {
			reason := "unauthorized"
			if errors.Is(err, authz.ErrForbidden) {
				reason = "forbidden"
			}
			c.JSON(nethttp.Status(err), gin.H{"error": reason})
		}),
	)
	if err != nil {
		panic(err)
	}
	r := gin.New()
	api := r.Group("/api", auth.Handle)
	api.GET("/messages", func(c *gin.Context) {
		claims, _ := nethttp.ClaimsFromContext(c.Request.Context()) // the request context has them too
		c.String(http.StatusOK, "messages for "+claims.Subject)
	})
	api.POST("/messages", auth.Require(authz.RequireScopes("write:messages")), func(c *gin.Context) {
		c.Status(http.StatusCreated)
	})
	r.GET("/public", ginauth.Middleware(v, nethttp.Optional()), func(c *gin.Context) {
		if claims, ok := ginauth.ClaimsFromContext(c); ok {
			c.String(http.StatusOK, "hello "+claims.Subject)
			return
		}
		c.String(http.StatusOK, "hello stranger")
	})

	reader := iss.Claims("user-1", "my-api")
	reader["scope"] = "read:messages"
	token := mint(iss, reader)
	for _, req := range []struct{ method, path, token string }{
		{"GET", "/api/messages", token},
		{"POST", "/api/messages", token},
		{"GET", "/api/messages", ""},
		{"GET", "/public", ""},
		{"GET", "/public", token},
	} {
		r2 := httptest.NewRequest(req.method, req.path, nil)
		if req.token != "" {
			r2.Header.Set("Authorization", "Bearer "+req.token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, r2)
		fmt.Println(req.method, req.path, w.Code, w.Body.String())
	}
	// Output:
	// GET /api/messages 200 messages for user-1
	// POST /api/messages 403 {"error":"forbidden"}
	// GET /api/messages 401 {"error":"unauthorized"}
	// GET /public 200 hello stranger
	// GET /public 200 hello user-1
}

func ExampleTenantFromParam() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	// Admins of a tenant, and only of that tenant, may read its settings.
	r := gin.New()
	r.GET("/tenants/:tenant/settings", ginauth.Middleware(v,
		ginauth.TenantFromParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	), func(c *gin.Context) {
		c.String(http.StatusOK, "settings of "+c.Param("tenant"))
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
		fmt.Printf("%d %q\n", w.Code, w.Body.String())
	}
	// Output:
	// 200 "settings of acme"
	// 403 "Forbidden\n"
}

func mint(iss *authztest.Issuer, claims map[string]any) string {
	tok, err := iss.Mint(claims)
	if err != nil {
		panic(err)
	}
	return tok
}
