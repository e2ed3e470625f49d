package nethttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// discard is a ResponseWriter that keeps nothing, so the benchmarks
// measure the middleware, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

var bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, ok := nethttp.ClaimsFromContext(r.Context()); !ok {
		panic("no claims")
	}
})

func benchFixture(b *testing.B) (*fixture, string) {
	f := newFixture(b)
	tok := f.token(b, "read:messages write:messages", nil)
	if _, err := f.v.Validate(context.Background(), tok); err != nil { // warm the keys
		b.Fatal(err)
	}
	return f, tok
}

// BenchmarkValidate is the floor: the Validator alone.
func BenchmarkValidate(b *testing.B) {
	f, tok := benchFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware is the whole middleware over a bare handler:
// extraction, Validate, context and request copy.
func BenchmarkMiddleware(b *testing.B) {
	f, tok := benchFixture(b)
	benchHandler(b, nethttp.Middleware(f.v)(bare), tok)
}

// BenchmarkMiddlewareScopes adds a scope policy.
func BenchmarkMiddlewareScopes(b *testing.B) {
	f, tok := benchFixture(b)
	benchHandler(b, nethttp.Middleware(f.v, nethttp.WithPolicy(authz.RequireScopes("read:messages", "write:messages")))(bare), tok)
}

// BenchmarkMiddlewareRejectMissing is the cost of a request without a token.
func BenchmarkMiddlewareRejectMissing(b *testing.B) {
	f, _ := benchFixture(b)
	h := nethttp.Middleware(f.v)(bare)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := &discard{h: http.Header{}}
		h.ServeHTTP(w, r)
	}
}

func benchHandler(b *testing.B, h http.Handler, tok string) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
