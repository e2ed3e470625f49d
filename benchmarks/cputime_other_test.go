//go:build !unix

package benchmarks

// processCPU cannot be read on this system.
func processCPU() int64 { return -1 }
