package echo5auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/jwtguard/jwtguard/adapters/echo5auth"
	"github.com/jwtguard/jwtguard/authz"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchEcho(b *testing.B, path, route string) {
	f := newFixture(b)
	tok := f.token(b, "read:messages write:messages", nil)
	if _, err := f.v.Validate(context.Background(), tok); err != nil { // warm the keys
		b.Fatal(err)
	}
	e := echo.New()
	e.GET(route, func(*echo.Context) error { return nil }, echo5auth.Require(f.v, authz.RequireScopes("read:messages")))
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		e.ServeHTTP(w, req)
	}
}

// BenchmarkRoute is a request through echo to a route guarded by Require
// with a scope policy.
func BenchmarkRoute(b *testing.B) { benchEcho(b, "/messages", "/messages") }

// BenchmarkRouteWithParam adds a path parameter, for which the Guard keeps
// the *echo.Context in the request context (TenantFromParam).
func BenchmarkRouteWithParam(b *testing.B) { benchEcho(b, "/messages/1", "/messages/:id") }
