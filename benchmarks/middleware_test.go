package benchmarks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v3"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// recorder is a ResponseWriter that keeps only the status, so the
// benchmarks measure the middleware, not a response recorder.
type recorder struct {
	h      http.Header
	status int
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(status int)      { r.status = status }

// bare is the handler every middleware wraps: it does nothing, so what is
// measured is the middleware.
var bare = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// BenchmarkMiddleware serves one authorized request per algorithm: "bare"
// is the handler alone, "validate" is authz.Validator.Validate alone, and
// "jwtguard" is adapters/nethttp.Middleware over the bare handler; the
// middleware's own cost is jwtguard − bare − validate. The "-cached" cases
// are the same with the verified-token cache on. "auth0" is
// go-jwt-middleware's CheckJWT over the same handler, for comparison.
func BenchmarkMiddleware(b *testing.B) {
	f := getFixture(b)
	issuers := []authz.Issuer{f.iss.OIDC(audience)}
	v := newValidator(b, issuers)
	vc := newValidator(b, issuers, withTokenCache)
	a0 := newAuth0Validators(b, f)
	ctx := context.Background()
	for _, alg := range algs {
		token := f.good[alg]
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		serve := func(b *testing.B, h http.Handler) {
			w := &recorder{h: http.Header{}}
			h.ServeHTTP(w, req) // warm-up, and proof the request passes
			if w.status != 0 && w.status != http.StatusOK {
				b.Fatalf("status %d, WWW-Authenticate %q", w.status, w.h.Get("WWW-Authenticate"))
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
			cpu.report(b)
			if w.status != 0 && w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
		b.Run(alg+"/bare", func(b *testing.B) { serve(b, bare) })
		validate := func(b *testing.B, v *authz.Validator) {
			if _, err := v.Validate(ctx, token); err != nil { // warm-up (fills the cache)
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if _, err := v.Validate(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		}
		b.Run(alg+"/validate", func(b *testing.B) { validate(b, v) })
		b.Run(alg+"/jwtguard", func(b *testing.B) { serve(b, nethttp.Middleware(v)(bare)) })
		b.Run(alg+"/validate-cached", func(b *testing.B) { validate(b, vc) })
		b.Run(alg+"/jwtguard-cached", func(b *testing.B) { serve(b, nethttp.Middleware(vc)(bare)) })
		b.Run(alg+"/auth0", func(b *testing.B) {
			m, err := jwtmiddleware.New(jwtmiddleware.WithValidator(a0[alg]))
			if err != nil {
				b.Fatal(err)
			}
			serve(b, m.CheckJWT(bare))
		})
	}
}
