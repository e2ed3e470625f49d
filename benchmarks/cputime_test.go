package benchmarks

import "testing"

// cpuClock measures the CPU time a benchmark uses, next to the wall time go
// test reports: on a shared machine, time spent waiting for a CPU swells
// ns/op but not cpu-ns/op. Start it just before the timed loop and stop it
// just after.
type cpuClock struct{ start int64 }

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

// report adds the cpu-ns/op metric: process CPU time (every goroutine,
// the garbage collector included) per operation.
func (c cpuClock) report(b *testing.B) {
	end := processCPU()
	if c.start < 0 || end < 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(end-c.start)/float64(b.N), "cpu-ns/op")
}
