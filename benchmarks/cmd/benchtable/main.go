package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	var (
		in    = flag.String("in", "-", "go test -bench output to read (- for stdin)")
		out   = flag.String("o", "-", "markdown file to write (- for stdout)")
		gomod = flag.String("gomod", "", "the benchmarks module's go.mod, to name the peers' versions")
		goVer = flag.String("go", "", "go version, as printed by go version")
		cpu   = flag.String("cpu", "", "CPU model (default: the cpu line of the benchmark output)")
		nproc = flag.String("nproc", "", "number of CPUs (nproc)")
		cmd   = flag.String("cmd", "", "command the benchmarks were run with")
		load  = flag.String("load", "", "load average during the run, such as the first fields of /proc/loadavg before and after")
		date  = flag.String("date", "", `when the run ended, "2006-01-02 15:04 UTC" (default: now)`)
		readm = flag.String("readme", "", "README.md whose \"## Benchmarks\" section to rewrite from the same results")
		notes = flag.String("notes", "", "markdown written by hand about this run (profiles of the misses), put under the goals")
	)
	flag.Parse()
	m := machine{goVersion: *goVer, cpu: *cpu, nproc: *nproc, command: *cmd, load: *load, date: time.Now().UTC()}
	if *date != "" {
		d, err := time.Parse("2006-01-02 15:04 MST", *date)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable: -date:", err)
			os.Exit(2)
		}
		m.date = d
	}
	if *notes != "" {
		b, err := os.ReadFile(*notes)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		m.notes = string(b)
	}
	if err := run(*in, *out, *gomod, *readm, m); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(in, out, gomod, readme string, m machine) error {
	r := io.Reader(os.Stdin)
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	res, err := parse(r)
	if err != nil {
		return err
	}
	if len(res.order) == 0 {
		return errors.New("no benchmark results in the input")
	}
	var versions map[string]string
	if gomod != "" {
		b, err := os.ReadFile(gomod)
		if err != nil {
			return err
		}
		versions = moduleVersions(string(b))
	}
	if readme != "" {
		b, err := os.ReadFile(readme)
		if err != nil {
			return err
		}
		var sec strings.Builder
		renderReadme(&sec, res, m, versions)
		updated, err := replaceSection(string(b), "## Benchmarks", sec.String())
		if err != nil {
			return fmt.Errorf("%s: %w", readme, err)
		}
		if err := os.WriteFile(readme, []byte(updated), 0o644); err != nil {
			return err
		}
	}
	var sb strings.Builder
	render(&sb, res, m, versions, m.date)
	if out == "-" {
		_, err = io.WriteString(os.Stdout, sb.String())
		return err
	}
	return os.WriteFile(out, []byte(sb.String()), 0o644)
}

// replaceSection replaces the body of the markdown section whose heading
// line is heading (up to the next heading of the same level, or the end)
// with body, which starts with the heading itself.
func replaceSection(doc, heading, body string) (string, error) {
	start := strings.Index(doc, "\n"+heading+"\n")
	if start < 0 {
		return "", fmt.Errorf("no %q section", heading)
	}
	start++
	level := heading[:strings.IndexByte(heading, ' ')+1] // "## "
	end := len(doc)
	if i := strings.Index(doc[start+len(heading):], "\n"+level); i >= 0 {
		end = start + len(heading) + i + 1
	}
	if !strings.HasSuffix(body, "\n\n") && end < len(doc) {
		body = strings.TrimRight(body, "\n") + "\n\n"
	}
	return doc[:start] + body + doc[end:], nil
}

// machine describes where the benchmarks ran.
type machine struct {
	goVersion, cpu, nproc, command, load string
	notes                                string    // markdown by hand about the run, put under the goals
	date                                 time.Time // when the run ended
}

// result gathers every run of one benchmark.
type result struct {
	name                   string // without "Benchmark" and the -GOMAXPROCS suffix
	procs                  int
	ns, cpu, bytes, allocs []float64 // ns/op, cpu-ns/op, B/op, allocs/op
	// paired holds the <who>-ns/op metrics of BenchmarkPaired (by
	// verifier) and BenchmarkCacheHit (serial, parallel, serial-cpu,
	// parallel-cpu); the i-th figure of each comes from the same run.
	paired map[string][]float64
}

// token is the shape of the benchmarks' good token of one algorithm, from
// the "token:" lines the benchmarks print: sizes in bytes, encoded
// (base64url) and decoded, and the decoded header and payload.
type token struct {
	alg             string
	enc, dec        [3]int // header, payload, signature
	total           int
	header, payload string
}

// results is a parsed benchmark output.
type results struct {
	byName            map[string]*result
	order             []string // names in first-seen order
	goos, goarch, cpu string
	command           string   // from a "command:" line, written by bench.sh
	lines             []string // the benchmark lines, as read
	procs             int
	tokens            []*token // in the order printed
}

// token returns the token of alg, creating it.
func (res *results) token(alg string) *token {
	for _, t := range res.tokens {
		if t.alg == alg {
			return t
		}
	}
	t := &token{alg: alg}
	res.tokens = append(res.tokens, t)
	return t
}

// parseToken reads the benchmarks' "token:", "token-header:" and
// "token-payload:" lines; it reports whether line was one.
func (res *results) parseToken(line string) bool {
	for _, kind := range []string{"token-header:", "token-payload:"} {
		if v, ok := strings.CutPrefix(line, kind); ok {
			alg, js, _ := strings.Cut(strings.TrimSpace(v), " ")
			if kind == "token-header:" {
				res.token(alg).header = js
			} else {
				res.token(alg).payload = js
			}
			return true
		}
	}
	v, ok := strings.CutPrefix(line, "token:")
	if !ok {
		return false
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return true
	}
	t := res.token(f[0])
	for _, kv := range f[1:] {
		k, val, _ := strings.Cut(kv, "=")
		e, d, _ := strings.Cut(val, "/")
		en, _ := strconv.Atoi(e)
		dn, _ := strconv.Atoi(d)
		switch k {
		case "header":
			t.enc[0], t.dec[0] = en, dn
		case "payload":
			t.enc[1], t.dec[1] = en, dn
		case "signature":
			t.enc[2], t.dec[2] = en, dn
		case "total":
			t.total = en
		}
	}
	return true
}

var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// parse reads go test -bench output. Lines that are not results (PASS,
// ok, logs) are skipped.
func parse(r io.Reader) (*results, error) {
	res := &results{byName: map[string]*result{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, meta := range []struct {
			prefix string
			dst    *string
		}{{"goos:", &res.goos}, {"goarch:", &res.goarch}, {"cpu:", &res.cpu}, {"command:", &res.command}} {
			if v, ok := strings.CutPrefix(line, meta.prefix); ok {
				*meta.dst = strings.TrimSpace(v)
			}
		}
		if res.parseToken(line) || !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue // a benchmark's name printed alone, or its log
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		procs := 1
		if m := procsSuffix.FindStringSubmatch(name); m != nil {
			procs, _ = strconv.Atoi(m[1])
			name = name[:len(name)-len(m[0])]
		}
		r := res.byName[name]
		if r == nil {
			r = &result{name: name, procs: procs}
			res.byName[name] = r
			res.order = append(res.order, name)
		}
		res.procs = procs
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			switch f[i+1] {
			case "ns/op":
				r.ns = append(r.ns, v)
			case "cpu-ns/op":
				r.cpu = append(r.cpu, v)
			case "B/op":
				r.bytes = append(r.bytes, v)
			case "allocs/op":
				r.allocs = append(r.allocs, v)
			default:
				if who, ok := strings.CutSuffix(f[i+1], "-ns/op"); ok && who != "cpu" {
					if r.paired == nil {
						r.paired = map[string][]float64{}
					}
					r.paired[who] = append(r.paired[who], v)
				}
			}
		}
		res.lines = append(res.lines, line)
	}
	return res, sc.Err()
}

// median returns the median of xs, or NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is half the range of xs as a fraction of their median: the ± of
// the tables.
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / 2 / median(xs)
}

// split parts a name into its benchmark, algorithm and case:
// "Verify/RS256/jwtguard" → "Verify", "RS256", "jwtguard".
func split(name string) (group, alg, rest string) {
	group, rest, _ = strings.Cut(name, "/")
	alg, rest, _ = strings.Cut(rest, "/")
	return group, alg, rest
}

// clock selects the time a figure is read from.
type clock int

const (
	wall clock = iota // ns/op: elapsed time
	cpu               // cpu-ns/op: CPU time of the process
)

// runs returns a result's figures for the clock.
func (r *result) runs(c clock) []float64 {
	if c == cpu {
		return r.cpu
	}
	return r.ns
}

// ns returns the median time per op of a benchmark on the clock, or NaN
// when absent.
func (res *results) ns(name string, c clock) float64 {
	if r := res.byName[name]; r != nil {
		return median(r.runs(c))
	}
	return math.NaN()
}

// floor returns the raw signature check's median time per op for a
// benchmark: its own group's raw case for the algorithm, else
// BenchmarkVerify's.
func (res *results) floor(group, alg string, c clock) float64 {
	if f := res.ns(group+"/"+alg+"/raw", c); !math.IsNaN(f) {
		return f
	}
	return res.ns("Verify/"+alg+"/raw", c)
}

// goalClock is the clock the goals are judged on: CPU time when every
// benchmark reported it (it does not count time spent waiting for a CPU on
// a shared machine), else wall time.
func (res *results) goalClock() clock {
	for name, r := range res.byName {
		if g, _, _ := split(name); g != "Paired" && len(r.cpu) == 0 { // Paired has its own clock
			return wall
		}
	}
	return cpu
}

// groups lists the benchmark groups in first-seen order.
func (res *results) groups() []string {
	var gs []string
	for _, n := range res.order {
		g, _, _ := split(n)
		if !slices.Contains(gs, g) {
			gs = append(gs, g)
		}
	}
	return gs
}

// algs lists the algorithms of a group in first-seen order.
func (res *results) algs(group string) []string {
	var as []string
	for _, n := range res.order {
		g, a, _ := split(n)
		if g == group && !slices.Contains(as, a) {
			as = append(as, a)
		}
	}
	return as
}

// peersOf lists the peer names benchmarked in Verify, jwtguard and raw
// excepted.
func (res *results) peersOf(alg string) []string {
	var ps []string
	for _, n := range res.order {
		g, a, c := split(n)
		if g == "Verify" && a == alg && c != "raw" && !strings.HasPrefix(c, "jwtguard") {
			ps = append(ps, c)
		}
	}
	return ps
}

// pairedRatio is the median over runs of a verifier's time over raw's in
// BenchmarkPaired/alg, and its spread; ok is false without such figures.
func (res *results) pairedRatio(alg, who string) (ratio, spr float64, ok bool) {
	return res.ratioOf("Paired/"+alg, who, "raw")
}

// ratioOf is the median over runs of the benchmark's metric who over its
// metric base, each run's figures divided, and the spread of those ratios;
// ok is false without such figures.
func (res *results) ratioOf(name, who, base string) (ratio, spr float64, ok bool) {
	r := res.byName[name]
	if r == nil || len(r.paired[who]) == 0 || len(r.paired[who]) != len(r.paired[base]) {
		return 0, 0, false
	}
	var rs []float64
	for i, v := range r.paired[who] {
		rs = append(rs, v/r.paired[base][i])
	}
	return median(rs), spread(rs), true
}

// metric returns the runs of a benchmark's <who>-ns/op metric.
func (res *results) metric(name, who string) []float64 {
	if r := res.byName[name]; r != nil {
		return r.paired[who]
	}
	return nil
}

// pairedNames lists the ops of a paired benchmark (BenchmarkPaired or
// BenchmarkPeers) for alg: raw, primitive, jwtguard and its variants, then
// the peers in BenchmarkVerify's order, then any other, sorted.
func (res *results) pairedNames(group, alg string) []string {
	r := res.byName[group+"/"+alg]
	if r == nil {
		return nil
	}
	var names, rest []string
	for _, who := range []string{"raw", "primitive", "jwtguard"} {
		if r.paired[who] != nil {
			names = append(names, who)
		}
	}
	for who := range r.paired {
		if isJWTGuard(who) && !slices.Contains(names, who) {
			rest = append(rest, who)
		}
	}
	slices.Sort(rest)
	names, rest = append(names, rest...), nil
	for _, n := range res.order {
		g, a, c := split(n)
		if g == "Verify" && a == alg && r.paired[c] != nil && !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	for who := range r.paired {
		if !slices.Contains(names, who) {
			rest = append(rest, who)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}

// isJWTGuard tells jwtguard's own verifiers from the peers.
func isJWTGuard(name string) bool {
	return name == "jwtguard" || strings.HasPrefix(name, "jwtguard-")
}

// peerGroup is the paired benchmark the peers were timed in: BenchmarkPeers,
// or BenchmarkPaired in output that has them there.
func (res *results) peerGroup(alg string) string {
	if res.byName["Peers/"+alg] != nil {
		return "Peers"
	}
	return "Paired"
}

// peers lists the peers timed against jwtguard for alg: neither raw, nor
// the primitive, nor jwtguard's.
func (res *results) peers(alg string) []string {
	var ps []string
	for _, who := range res.pairedNames(res.peerGroup(alg), alg) {
		if who != "raw" && who != "primitive" && !isJWTGuard(who) {
			ps = append(ps, who)
		}
	}
	return ps
}

// moduleVersions reads the required versions of a go.mod.
func moduleVersions(gomod string) map[string]string {
	v := map[string]string{}
	for _, line := range strings.Split(gomod, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "require"))
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v") {
			v[f[0]] = f[1]
		}
	}
	return v
}
