// Benchtable turns the output of the jwtguard benchmarks into
// docs/benchmarks.md and the "## Benchmarks" section of README.md: the
// token benchmarked, issue 11's goals judged on the paired CPU times
// (medians over runs of each run's ratio, with their spreads, and for a goal
// missed the reason the figures give), one table per benchmark with the
// median ns/op, CPU ns/op, B/op and allocs/op of every run and the ratio to
// the raw signature check of the same algorithm, the machine and its load,
// and the raw output.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem -count 5 -benchtime 500ms | tee bench.txt
//	go run ./cmd/benchtable -in bench.txt -gomod go.mod -o ../docs/benchmarks.md \
//	    -readme ../README.md -go "$(go version)" -nproc "$(nproc)" \
//	    -cpu "$(grep -m1 'model name' /proc/cpuinfo)" -load "$(cat /proc/loadavg)"
//
// scripts/bench.sh at the repository root does both.
package main
