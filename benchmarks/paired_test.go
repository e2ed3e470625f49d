package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// BenchmarkPaired runs, in every iteration, each of the following once on
// the same token, and times each call with the thread's CPU clock:
//
//   - raw: the standard library's check of the same bytes (floorVerify);
//   - primitive: jwtguard's own signature check (primitiveVerify);
//   - jwtguard: authz.Validator.Validate, one issuer configured;
//   - jwtguard-10issuers: Validate with ten issuers configured;
//   - jwtguard-nethttp: adapters/nethttp.Middleware over a handler that
//     does nothing, serving a request bearing the token, with the
//     validator of "jwtguard".
//
// Every one is measured under the same conditions at the same moments, so
// a busy or throttled machine skews them all alike: the ratios between
// them are the most reliable figures on a shared machine, and the goals of
// docs/benchmarks.md that compare jwtguard with the raw check, or with
// itself, are judged on them. The peers are kept out of this loop
// (BenchmarkPeers has them): the garbage they make, collected while
// jwtguard runs, and the caches they evict would be charged to jwtguard.
//
// The order rotates by one each iteration, so no op always follows the
// same one. Its metrics are <op>-ns/op, the CPU time of one call less the
// cost of reading the clock; ns/op is the whole round, allocs/op its
// allocations (see BenchmarkVerify for each op's own).
func BenchmarkPaired(b *testing.B) {
	f := getFixture(b)
	ctx := context.Background()
	v := newValidator(b, []authz.Issuer{f.iss.OIDC(audience)})
	ten := issuerVerifiers(b, f, 10)[0] // jwtguard
	if ten.name != "jwtguard" {
		b.Fatalf("issuerVerifiers(10)[0] is %s", ten.name)
	}
	mw := nethttp.Middleware(v)(bare)
	for _, alg := range algs {
		fl, token := f.floor[alg], f.good[alg]
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := &recorder{h: http.Header{}}
		ops := []pairedOp{
			{"raw", func() error { return floorVerify(fl) }},
			{"primitive", func() error { return primitiveVerify(fl) }},
			{"jwtguard", func() error { _, err := v.Validate(ctx, token); return err }},
			{"jwtguard-10issuers", func() error { return ten.build(alg)(ctx, token) }},
			{"jwtguard-nethttp", func() error {
				mw.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					return fmt.Errorf("status %d, WWW-Authenticate %q", w.status, w.h.Get("WWW-Authenticate"))
				}
				return nil
			}},
		}
		b.Run(alg, func(b *testing.B) { runPaired(b, ops) })
	}
}

// BenchmarkPeers is BenchmarkPaired's loop over the raw check, jwtguard's
// Validate and every peer of BenchmarkVerify: the comparison with the
// peers, each call timed with the thread's CPU clock at the same moments.
func BenchmarkPeers(b *testing.B) {
	f := getFixture(b)
	ctx := context.Background()
	vs := peers(b, f)
	for _, alg := range algs {
		fl, token := f.floor[alg], f.good[alg]
		ops := []pairedOp{{"raw", func() error { return floorVerify(fl) }}}
		for _, p := range vs {
			if p.name == "jwtguard-cached" {
				continue // a cache hit is not a verification
			}
			verify := p.build(alg)
			ops = append(ops, pairedOp{p.name, func() error { return verify(ctx, token) }})
		}
		b.Run(alg, func(b *testing.B) { runPaired(b, ops) })
	}
}

// pairedOp is one call of a paired round.
type pairedOp struct {
	name string
	run  func() error
}

// runPaired runs every op once per iteration, the first op rotating, and
// reports each op's thread CPU time per call as <name>-ns/op.
func runPaired(b *testing.B, ops []pairedOp) {
	for _, o := range ops { // warm-up, and proof that every op passes
		if err := o.run(); err != nil {
			b.Fatalf("%s: %v", o.name, err)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	spent := make([]int64, len(ops))
	var clock int64 // the cost of reading the clock, summed over rounds
	first := 0
	b.ReportAllocs()
	for b.Loop() {
		t := threadCPU()
		t0 := threadCPU()
		clock += t0 - t
		for k := range ops {
			i := (first + k) % len(ops)
			if err := ops[i].run(); err != nil {
				b.Fatalf("%s: %v", ops[i].name, err)
			}
			t1 := threadCPU()
			spent[i] += t1 - t0
			t0 = t1
		}
		first = (first + 1) % len(ops)
	}
	n := float64(b.N)
	for i, o := range ops {
		b.ReportMetric((float64(spent[i])-float64(clock))/n, o.name+"-ns/op")
	}
}
