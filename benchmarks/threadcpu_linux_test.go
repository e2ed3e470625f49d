//go:build linux

package benchmarks

import "golang.org/x/sys/unix"

// threadCPU returns the CPU time of the calling thread in nanoseconds: time
// spent waiting for a CPU on a busy machine is not counted. Lock the
// goroutine to its thread while using it.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
