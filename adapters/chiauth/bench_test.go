package chiauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/chiauth"
	"github.com/jwtguard/jwtguard/authz"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkRouter is a request through a chi router to a route guarded by
// Require with a scope policy: routing, pattern, Validate, policy.
func BenchmarkRouter(b *testing.B) {
	f := newFixture(b)
	tok := f.token(b, "read:messages write:messages", nil)
	if _, err := f.v.Validate(context.Background(), tok); err != nil { // warm the keys
		b.Fatal(err)
	}
	r := chi.NewRouter()
	r.With(chiauth.Require(f.v, authz.RequireScopes("read:messages"))).Get("/messages/{id}", func(http.ResponseWriter, *http.Request) {})
	req := httptest.NewRequest(http.MethodGet, "/messages/1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(w, req)
	}
}
