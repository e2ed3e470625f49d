package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/jwtguard/jwtguard/benchmarks
cpu: Test CPU
BenchmarkVerify/RS256/raw-2         	    2000	    100 ns/op	    10 B/op	       1 allocs/op
BenchmarkVerify/RS256/jwtguard-2    	    2000	    105 ns/op	    20 B/op	       3 allocs/op
BenchmarkVerify/RS256/golang-jwt-2  	    2000	    150 ns/op	    40 B/op	       5 allocs/op
BenchmarkVerify/RS256/raw-2         	    2000	    110 ns/op	    10 B/op	       1 allocs/op
BenchmarkVerify/RS256/jwtguard-2    	    2000	    115 ns/op	    20 B/op	       3 allocs/op
BenchmarkVerify/RS256/golang-jwt-2  	    2000	    160 ns/op	    40 B/op	       5 allocs/op
BenchmarkIssuers/RS256/jwtguard/n=1-2 	2000	    100 ns/op	    20 B/op	       3 allocs/op
BenchmarkIssuers/RS256/jwtguard/n=10-2	2000	    101 ns/op	    20 B/op	       3 allocs/op
BenchmarkMiddleware/RS256/bare-2      	2000	    2.5 ns/op	     0 B/op	       0 allocs/op
BenchmarkMiddleware/RS256/validate-2  	2000	    100 ns/op	    20 B/op	       3 allocs/op
BenchmarkMiddleware/RS256/jwtguard-2  	2000	    110 ns/op	    30 B/op	       4 allocs/op
BenchmarkVerify/RS256/slow
    bench_test.go:10: a log line
PASS
ok  	github.com/jwtguard/jwtguard/benchmarks	1.0s
`

func TestParse(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if res.cpu != "Test CPU" || res.goos != "linux" || res.procs != 2 {
		t.Errorf("meta = %q %q %d", res.cpu, res.goos, res.procs)
	}
	tests := []struct {
		name                  string
		wantNs, wantB, wantAl float64
		wantRuns              int
	}{
		{name: "Verify/RS256/raw", wantNs: 105, wantB: 10, wantAl: 1, wantRuns: 2},
		{name: "Verify/RS256/jwtguard", wantNs: 110, wantB: 20, wantAl: 3, wantRuns: 2},
		{name: "Issuers/RS256/jwtguard/n=10", wantNs: 101, wantB: 20, wantAl: 3, wantRuns: 1},
		{name: "Middleware/RS256/bare", wantNs: 2.5, wantB: 0, wantAl: 0, wantRuns: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := res.byName[tt.name]
			if r == nil {
				t.Fatalf("missing; have %v", res.order)
			}
			if len(r.ns) != tt.wantRuns {
				t.Errorf("runs = %d, want %d", len(r.ns), tt.wantRuns)
			}
			if got := median(r.ns); got != tt.wantNs {
				t.Errorf("ns = %v, want %v", got, tt.wantNs)
			}
			if got := median(r.bytes); got != tt.wantB {
				t.Errorf("B = %v, want %v", got, tt.wantB)
			}
			if got := median(r.allocs); got != tt.wantAl {
				t.Errorf("allocs = %v, want %v", got, tt.wantAl)
			}
		})
	}
	if got := len(res.order); got != 8 {
		t.Errorf("%d benchmarks, want 8: %v", got, res.order)
	}
}

func TestMedianSpread(t *testing.T) {
	tests := []struct {
		name       string
		xs         []float64
		wantMedian float64
		wantSpread float64
	}{
		{name: "one", xs: []float64{4}, wantMedian: 4},
		{name: "odd", xs: []float64{3, 1, 2}, wantMedian: 2, wantSpread: 0.5},
		{name: "even", xs: []float64{4, 1, 3, 2}, wantMedian: 2.5, wantSpread: 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.xs); got != tt.wantMedian {
				t.Errorf("median = %v, want %v", got, tt.wantMedian)
			}
			if got := spread(tt.xs); math.Abs(got-tt.wantSpread) > 1e-9 {
				t.Errorf("spread = %v, want %v", got, tt.wantSpread)
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestRender(t *testing.T) {
	withCPU := strings.ReplaceAll(sample, " ns/op", " ns/op\t      50 cpu-ns/op")
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{
			name:  "wall time only",
			input: sample,
			want: []string{
				"| cpu | Test CPU |",
				"| nproc | 2 |",
				"| load average (1, 5, 15 min) | 0.10 0.20 0.30 |",
				"| RS256 | raw | 105 | 5% | 1.00× | – | – | – | 10 | 1 |",
				"| RS256 | **jwtguard** | 110 | 5% | 1.05× | – | – | – | 20 | 3 |",
				"| RS256 | golang-jwt | 155 | 3% | 1.48× | – | – | – | 40 | 5 |",
				"`github.com/golang-jwt/jwt/v5` v5.3.1<br>`github.com/MicahParks/keyfunc/v3` v3.9.1",
				"BenchmarkVerify/RS256/raw-2",
			},
		},
		{
			name:  "with CPU time",
			input: withCPU,
			want: []string{
				"| RS256 | **jwtguard** | 110 | 5% | 1.05× | 50 | 0% | 1.00× | 20 | 3 |",
			},
		},
	}
	versions := moduleVersions("module x\n\nrequire (\n\tgithub.com/golang-jwt/jwt/v5 v5.3.1\n\tgithub.com/MicahParks/keyfunc/v3 v3.9.1 // indirect\n)\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parse(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			m := machine{goVersion: "go version go1.26.8 linux/amd64", nproc: "2", load: "0.10 0.20 0.30"}
			render(&sb, res, m, versions, time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC))
			out := sb.String()
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// goalSample has every benchmark the goals read, two runs each.
const goalSample = `BenchmarkVerify/RS256/raw-2 	100	 100 ns/op	 1376 B/op	 9 allocs/op
BenchmarkVerify/RS256/primitive-2 	100	 70 ns/op	 32 B/op	 1 allocs/op
BenchmarkVerify/RS256/jwtguard-2 	100	 75 ns/op	 1120 B/op	 3 allocs/op
BenchmarkVerify/RS256/golang-jwt-2 	100	 130 ns/op	 4000 B/op	 60 allocs/op
BenchmarkVerify/EdDSA/raw-2 	100	 100 ns/op	 0 B/op	 0 allocs/op
BenchmarkVerify/EdDSA/primitive-2 	100	 100 ns/op	 0 B/op	 0 allocs/op
BenchmarkVerify/EdDSA/jwtguard-2 	100	 110 ns/op	 900 B/op	 8 allocs/op
BenchmarkVerify/EdDSA/golang-jwt-2 	100	 130 ns/op	 4000 B/op	 48 allocs/op
BenchmarkPaired/RS256-2 	100	 400 ns/op	 100 raw-ns/op	 70 primitive-ns/op	 76 jwtguard-ns/op	 77 jwtguard-10issuers-ns/op	 78 jwtguard-nethttp-ns/op
BenchmarkPaired/RS256-2 	100	 400 ns/op	 100 raw-ns/op	 70 primitive-ns/op	 78 jwtguard-ns/op	 78 jwtguard-10issuers-ns/op	 79 jwtguard-nethttp-ns/op
BenchmarkPaired/EdDSA-2 	100	 400 ns/op	 100 raw-ns/op	 100 primitive-ns/op	 110 jwtguard-ns/op	 110 jwtguard-10issuers-ns/op	 120 jwtguard-nethttp-ns/op
BenchmarkPaired/EdDSA-2 	100	 400 ns/op	 100 raw-ns/op	 100 primitive-ns/op	 110 jwtguard-ns/op	 110 jwtguard-10issuers-ns/op	 120 jwtguard-nethttp-ns/op
BenchmarkPeers/RS256-2 	100	 400 ns/op	 100 raw-ns/op	 80 jwtguard-ns/op	 130 golang-jwt-ns/op
BenchmarkPeers/RS256-2 	100	 400 ns/op	 100 raw-ns/op	 80 jwtguard-ns/op	 130 golang-jwt-ns/op
BenchmarkPeers/EdDSA-2 	100	 400 ns/op	 100 raw-ns/op	 115 jwtguard-ns/op	 110 golang-jwt-ns/op
BenchmarkPeers/EdDSA-2 	100	 400 ns/op	 100 raw-ns/op	 115 jwtguard-ns/op	 110 golang-jwt-ns/op
BenchmarkCacheHit/RS256-2 	10	 1000 ns/op	 150 serial-ns/op	 80 parallel-ns/op	 150 serial-cpu-ns/op	 155 parallel-cpu-ns/op
BenchmarkCacheHit/RS256-2 	10	 1000 ns/op	 150 serial-ns/op	 80 parallel-ns/op	 150 serial-cpu-ns/op	 155 parallel-cpu-ns/op
BenchmarkCacheHit/EdDSA-2 	10	 1000 ns/op	 250 serial-ns/op	 260 parallel-ns/op	 250 serial-cpu-ns/op	 255 parallel-cpu-ns/op
BenchmarkCacheHit/EdDSA-2 	10	 1000 ns/op	 250 serial-ns/op	 260 parallel-ns/op	 250 serial-cpu-ns/op	 255 parallel-cpu-ns/op
token: RS256 header=42/31 payload=294/220 signature=342/256 total=680
token-header: RS256 {"alg":"RS256","kid":"RS256-4"}
token-payload: RS256 {"iss":"http://127.0.0.1:1","sub":"user-1","scope":"a b"}
`

func TestGoals(t *testing.T) {
	res, err := parse(strings.NewReader(goalSample))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	render(&sb, res, machine{}, nil, time.Time{})
	out := sb.String()
	for _, want := range []string{
		// RS256 0.77× ≤ 0.80; EdDSA 1.10× > 1.05.
		"`ed25519.Verify` (EdDSA) | 0.770× ±1.3% | 1.100× ±0.0% | **no** (EdDSA) |",
		"`Validate` adds 10 ns (10.0% of raw) beyond it, where 1.05× would allow 5.0 ns.",
		"| 2 (3 − 1) | 8 (8 − 0) | **no** (EdDSA) |",
		"| 150 ns ±0% | 250 ns ±0% | **no** (EdDSA) |",
		"| 0.533× ±0.0% (CPU per hit 1.03×) | 1.040× ±0.0% (CPU per hit 1.02×) | **no** (EdDSA) |",
		"no contention), but the hits did not run side by side",
		"| 1.020× ±0.7% | 1.091× ±0.0% | **no** (EdDSA) |", // middleware
		"| 1.007× ±0.7% | 1.000× ±0.0% | yes |",            // ten issuers
		"| 0.615× (golang-jwt) | 1.045× (golang-jwt) | **no** (EdDSA) |",
		"| RS256 | 100 | 70 | 0.70× | 77 | 0.77× | 7 | 9 / 1 / 3 |",
		"| RS256 | 42 (31) | `{\"alg\":\"RS256\",\"kid\":\"RS256-4\"}` | 294 (220) | 342 (256) | 680 |",
		"with the claims `iss`, `sub`, `scope`",
		"| RS256 | **jwtguard-10issuers** | 78 | 1% | 0.78× | 1% |",
		"| EdDSA | golang-jwt | 110 | 0% | 1.10× | 0% |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	readme := "# x\n\nintro\n\n## Benchmarks\n\nold table\n\n## Documentation\n\ndocs\n"
	var sec strings.Builder
	renderReadme(&sec, res, machine{nproc: "2"}, map[string]string{"github.com/golang-jwt/jwt/v5": "v5.3.1"})
	got, err := replaceSection(readme, "## Benchmarks", sec.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# x\n\nintro\n\n## Benchmarks\n\n",
		"| | raw verify | **jwtguard** | golang-jwt + keyfunc v5.3.1 |",
		"| RS256 | 0.1 | **0.1** (0.80×), 3 allocs | 0.1, 60 allocs |",
		"`Validate` costs 0.770× `rsa.VerifyPKCS1v15` (RS256), 1.100× `ed25519.Verify` (EdDSA).",
		"Goals met: 1 of 7",
		"\n\n## Documentation\n\ndocs\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("README lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old table") {
		t.Errorf("README keeps the old section:\n%s", got)
	}
	if _, err := replaceSection("# x\n", "## Benchmarks", "y"); err == nil {
		t.Error("replaceSection without the section: no error")
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {2.5, "2.5"}, {999, "999"}, {1000, "1,000"}, {71565.4, "71,565"}, {1234567, "1,234,567"}, {math.NaN(), "–"},
	}
	for _, tt := range tests {
		if got := thousands(tt.in); got != tt.want {
			t.Errorf("thousands(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPaired(t *testing.T) {
	const in = `BenchmarkVerify/RS256/raw-2   	100	 100 ns/op
BenchmarkVerify/RS256/jwtguard-2 	100	 110 ns/op
BenchmarkVerify/RS256/golang-jwt-2 	100	 130 ns/op
BenchmarkPaired/RS256-2 	100	 400 ns/op	 130 golang-jwt-ns/op	 110 jwtguard-ns/op	 100 raw-ns/op	 160 zeta-ns/op	 10 B/op	 1 allocs/op
BenchmarkPaired/RS256-2 	100	 800 ns/op	 300 golang-jwt-ns/op	 240 jwtguard-ns/op	 200 raw-ns/op	 320 zeta-ns/op	 10 B/op	 1 allocs/op
BenchmarkPaired/RS256-2 	100	 400 ns/op	 120 golang-jwt-ns/op	 115 jwtguard-ns/op	 100 raw-ns/op	 150 zeta-ns/op	 10 B/op	 1 allocs/op
`
	res, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.pairedNames("Paired", "RS256"), []string{"raw", "jwtguard", "golang-jwt", "zeta"}; !slices.Equal(got, want) {
		t.Errorf("pairedNames = %v, want %v", got, want)
	}
	tests := []struct {
		who       string
		wantRatio float64
		wantOK    bool
	}{
		{who: "raw", wantRatio: 1, wantOK: true},
		{who: "jwtguard", wantRatio: 1.15, wantOK: true},  // 1.10, 1.20, 1.15
		{who: "golang-jwt", wantRatio: 1.3, wantOK: true}, // 1.30, 1.50, 1.20
		{who: "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			r, _, ok := res.pairedRatio("RS256", tt.who)
			if ok != tt.wantOK || math.Abs(r-tt.wantRatio) > 1e-9 {
				t.Errorf("pairedRatio = %v, %v; want %v, %v", r, ok, tt.wantRatio, tt.wantOK)
			}
		})
	}
	var sb strings.Builder
	render(&sb, res, machine{}, nil, time.Time{})
	for _, want := range []string{
		"| RS256 | **jwtguard** | 115 | 57% | 1.15× | 4% |",
		"| faster than each peer, paired (`BenchmarkPeers`: jwtguard ÷ the fastest peer) | 0.846× (golang-jwt) | yes |",
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, sb.String())
		}
	}
}
