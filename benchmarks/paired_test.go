package benchmarks

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkPaired runs, in every iteration, the raw check and then each
// verifier once on the same token, and times each call with the thread's
// CPU clock. Every verifier is measured under the same conditions at the
// same moment, so a busy or throttled machine skews them all alike: the
// ratios to raw it gives are the most reliable on a shared machine. Its
// metrics are <verifier>-ns/op, the CPU time of one call less the cost of
// reading the clock; ns/op is the whole round.
func BenchmarkPaired(b *testing.B) {
	f := getFixture(b)
	vs := peers(b, f)
	ctx := context.Background()
	type op struct {
		name string
		run  func() error
	}
	for _, alg := range algs {
		fl := f.floor[alg]
		ops := []op{{"raw", func() error { return floorVerify(fl) }}}
		for _, v := range vs {
			if v.name == "jwtguard-cached" {
				continue // a cache hit is not a verification
			}
			verify, token := v.build(alg), f.good[alg]
			ops = append(ops, op{v.name, func() error { return verify(ctx, token) }})
		}
		b.Run(alg, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			spent := make([]int64, len(ops))
			var clock int64 // the cost of reading the clock, summed
			b.ReportAllocs()
			for b.Loop() {
				t := threadCPU()
				t0 := threadCPU()
				clock += t0 - t
				for i, o := range ops {
					if err := o.run(); err != nil {
						b.Fatalf("%s: %v", o.name, err)
					}
					t1 := threadCPU()
					spent[i] += t1 - t0
					t0 = t1
				}
			}
			n := float64(b.N)
			for i, o := range ops {
				b.ReportMetric((float64(spent[i])-float64(clock))/n, o.name+"-ns/op")
			}
		})
	}
}
