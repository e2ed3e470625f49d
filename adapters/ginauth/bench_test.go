package ginauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard/adapters/ginauth"
	"github.com/jwtguard/jwtguard/authz"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchGin(b *testing.B, path, route string) {
	f := newFixture(b)
	tok := f.token(b, "read:messages write:messages", nil)
	if _, err := f.v.Validate(context.Background(), tok); err != nil { // warm the keys
		b.Fatal(err)
	}
	r := gin.New()
	r.GET(route, ginauth.Require(f.v, authz.RequireScopes("read:messages")), func(*gin.Context) {})
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(w, req)
	}
}

// BenchmarkRoute is a request through gin to a route guarded by Require
// with a scope policy.
func BenchmarkRoute(b *testing.B) { benchGin(b, "/messages", "/messages") }

// BenchmarkRouteWithParam adds a path parameter.
func BenchmarkRouteWithParam(b *testing.B) { benchGin(b, "/messages/1", "/messages/:id") }
