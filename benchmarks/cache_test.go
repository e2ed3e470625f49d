package benchmarks

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
)

// cacheChunk is the number of cache hits in each half of a
// BenchmarkCacheHit round: tens of milliseconds, so that starting and
// joining the parallel goroutines, and waking an idle virtual CPU for them
// (which takes up to a millisecond on some hypervisors), stays a small part
// of it, as it is of a b.RunParallel benchmark.
const cacheChunk = 1 << 17

// cacheGrain is the number of hits a parallel goroutine takes at a time.
const cacheGrain = 256

// BenchmarkCacheHit measures jwtguard's verified-token cache (a repeated
// token: no parsing, no signature), serially and from GOMAXPROCS
// goroutines, interleaved: every iteration is a round of cacheChunk hits on
// one goroutine, then cacheChunk hits shared among GOMAXPROCS goroutines
// (as -cpu 1 and -cpu N of a b.RunParallel benchmark would, but in the
// same moments, so that the load of a shared machine falls on both).
// cacheChunk is a multiple of cacheGrain.
//
// Metrics, per hit: serial-ns/op and parallel-ns/op are elapsed time
// (parallel hits scale when parallel-ns/op is no more than serial-ns/op,
// as with b.RunParallel under -cpu); serial-cpu-ns/op and
// parallel-cpu-ns/op are the CPU time of the goroutines doing the hits
// (thread CPU clocks, summed): contention between cores, such as a cache
// line every hit writes, shows as parallel CPU time per hit above serial.
func BenchmarkCacheHit(b *testing.B) {
	f := getFixture(b)
	v := newValidator(b, []authz.Issuer{f.iss.OIDC(audience)}, withTokenCache)
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	for _, alg := range algs {
		token := f.good[alg]
		hits := func(n int) error {
			for range n {
				if _, err := v.Validate(ctx, token); err != nil {
					return err
				}
			}
			return nil
		}
		b.Run(alg, func(b *testing.B) {
			if err := hits(1); err != nil { // fills the cache
				b.Fatal(err)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var serialWall, serialCPU, parWall, parCPU time.Duration
			cpus := make([]time.Duration, procs)
			errs := make([]error, procs)
			b.ReportAllocs()
			for b.Loop() {
				start, c0 := time.Now(), threadCPU()
				if err := hits(cacheChunk); err != nil {
					b.Fatal(err)
				}
				serialCPU += time.Duration(threadCPU() - c0)
				serialWall += time.Since(start)

				// The goroutines take the hits in grains from a shared
				// count, as b.RunParallel does, so that one that starts late
				// or runs slower does not leave the other to finish alone.
				var wg sync.WaitGroup
				var taken atomic.Int64
				start = time.Now()
				for g := range procs {
					wg.Go(func() {
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						c0 := threadCPU()
						for errs[g] == nil && taken.Add(cacheGrain) <= cacheChunk {
							errs[g] = hits(cacheGrain)
						}
						cpus[g] = time.Duration(threadCPU() - c0)
					})
				}
				wg.Wait()
				parWall += time.Since(start)
				for g := range procs {
					if errs[g] != nil {
						b.Fatal(errs[g])
					}
					parCPU += cpus[g]
				}
			}
			n := float64(b.N) * cacheChunk
			b.ReportMetric(float64(serialWall)/n, "serial-ns/op")
			b.ReportMetric(float64(parWall)/n, "parallel-ns/op")
			b.ReportMetric(float64(serialCPU)/n, "serial-cpu-ns/op")
			b.ReportMetric(float64(parCPU)/n, "parallel-cpu-ns/op")
		})
	}
}
