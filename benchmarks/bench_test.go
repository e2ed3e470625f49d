package benchmarks

import (
	"context"
	"fmt"
	"testing"

	gjwt "github.com/golang-jwt/jwt/v5"

	"github.com/jwtguard/jwtguard/authz"
)

// BenchmarkVerify verifies one valid token per algorithm with every
// verifier, keys warm; "raw" is the standard library's signature check
// alone, "primitive" jwtguard's (the allocations of Validate beyond the
// primitive's are the goal's).
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	vs := peers(b, f)
	ctx := context.Background()
	for _, alg := range algs {
		fl := f.floor[alg]
		b.Run(alg+"/raw", func(b *testing.B) {
			benchSerial(b, func() error { return floorVerify(fl) })
		})
		b.Run(alg+"/primitive", func(b *testing.B) {
			benchSerial(b, func() error { return primitiveVerify(fl) })
		})
		for _, v := range vs {
			verify, token := v.build(alg), f.good[alg]
			b.Run(alg+"/"+v.name, func(b *testing.B) {
				benchSerial(b, func() error { return verify(ctx, token) })
			})
		}
	}
}

// BenchmarkVerifyParallel is BenchmarkVerify from GOMAXPROCS goroutines
// sharing one verifier: it shows contention on shared key caches.
func BenchmarkVerifyParallel(b *testing.B) {
	f := getFixture(b)
	vs := peers(b, f)
	ctx := context.Background()
	for _, alg := range algs {
		fl := f.floor[alg]
		b.Run(alg+"/raw", func(b *testing.B) {
			benchParallel(b, func() error { return floorVerify(fl) })
		})
		for _, v := range vs {
			verify, token := v.build(alg), f.good[alg]
			b.Run(alg+"/"+v.name, func(b *testing.B) {
				benchParallel(b, func() error { return verify(ctx, token) })
			})
		}
	}
}

// BenchmarkIssuers verifies a token of one issuer with one issuer
// configured, then ten. Only jwtguard and golang-jwt with keyfunc (several
// JWKS URLs merged into one key set) take several issuers; jwx, go-oidc and
// auth0 take one issuer per verifier, leaving the routing to the caller.
func BenchmarkIssuers(b *testing.B) {
	f := getFixture(b)
	ctx := context.Background()
	byN := map[int][]verifier{}
	for _, n := range []int{1, 10} {
		byN[n] = issuerVerifiers(b, f, n)
	}
	for _, alg := range algs {
		for i := range byN[1] {
			for _, n := range []int{1, 10} {
				v := byN[n][i]
				verify, token := v.build(alg), f.good[alg]
				b.Run(fmt.Sprintf("%s/%s/n=%d", alg, v.name, n), func(b *testing.B) {
					benchSerial(b, func() error { return verify(ctx, token) })
				})
			}
		}
	}
}

// benchSerial times op in one goroutine, reporting allocations and CPU
// time per op.
func benchSerial(b *testing.B, op func() error) {
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// benchParallel times op from GOMAXPROCS goroutines (b.RunParallel),
// reporting allocations and CPU time per op.
func benchParallel(b *testing.B, op func() error) {
	b.ReportAllocs()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu.report(b)
}

// issuerVerifiers returns jwtguard and golang-jwt+keyfunc configured with n
// issuers, the fixture's last, keys warm.
func issuerVerifiers(tb testing.TB, f *fixture, n int) []verifier {
	tb.Helper()
	var others []string // issuer URLs
	var cfgs []authz.Issuer
	var jwks []string
	if n > 1 {
		for _, o := range f.otherIssuers(tb)[:n-1] {
			others = append(others, o.URL())
			cfgs = append(cfgs, o.OIDC(audience))
			jwks = append(jwks, o.JWKSURL())
		}
	}
	cfgs = append(cfgs, f.iss.OIDC(audience))
	jwks = append(jwks, f.iss.JWKSURL())
	vs := []verifier{
		{"jwtguard", constant(newJWTGuard(tb, cfgs))},
		{"golang-jwt", constant(newGolangJWTIssuers(tb, append(others, f.iss.URL()), jwks))},
	}
	ctx := warmCtx(tb)
	for _, v := range vs {
		for _, alg := range algs {
			if err := v.build(alg)(ctx, f.good[alg]); err != nil {
				tb.Fatalf("%s, %d issuers: warm-up with a good %s token: %v", v.name, n, alg, err)
			}
		}
	}
	return vs
}

// newGolangJWTIssuers is golang-jwt with one keyfunc over every issuer's
// JWKS URL. golang-jwt checks one iss value, so iss is checked against the
// set after parsing. The keys of all issuers are merged: any issuer's key
// verifies a token naming any other issuer, which jwtguard does not allow.
func newGolangJWTIssuers(tb testing.TB, issuers, jwksURLs []string) verifyFunc {
	tb.Helper()
	kf := newKeyfunc(tb, jwksURLs...)
	p := gjwt.NewParser(
		gjwt.WithValidMethods(algs),
		gjwt.WithAudience(audience),
		gjwt.WithExpirationRequired(),
		gjwt.WithLeeway(leeway),
	)
	known := map[string]bool{}
	for _, iss := range issuers {
		known[iss] = true
	}
	return func(_ context.Context, token string) error {
		var c gjwt.RegisteredClaims
		if _, err := p.ParseWithClaims(token, &c, kf.Keyfunc); err != nil {
			return err
		}
		if !known[c.Issuer] {
			return gjwt.ErrTokenInvalidIssuer
		}
		return nil
	}
}
