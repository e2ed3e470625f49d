// Benchtable turns the output of the jwtguard benchmarks into
// docs/benchmarks.md: one table per benchmark with the median ns/op, B/op
// and allocs/op of every run and the ratio to the raw signature check of
// the same algorithm, the goals of the benchmark checked against them, the
// machine, and the raw output.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem -count 5 | tee bench.txt
//	go run ./cmd/benchtable -in bench.txt -gomod go.mod -o ../docs/benchmarks.md \
//	    -go "$(go version)" -cpu "$(grep -m1 'model name' /proc/cpuinfo)" -nproc "$(nproc)"
//
// scripts/bench.sh at the repository root does both.
package main
