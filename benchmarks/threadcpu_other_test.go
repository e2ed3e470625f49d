//go:build !linux

package benchmarks

import "time"

var epoch = time.Now()

// threadCPU falls back to the monotonic clock where a thread's CPU clock
// is not read.
func threadCPU() int64 { return int64(time.Since(epoch)) }
