package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The goals of issue 11, judged on CPU time from one run. Every goal that
// compares two costs is judged on BenchmarkPaired, where both were measured
// in the same loop at the same moments.
const (
	goalRSA          = 0.80 // Validate ÷ rsa.VerifyPKCS1v15, RS256
	goalOther        = 1.05 // Validate ÷ raw verify, ES256 and EdDSA
	goalExtraAllocs  = 6    // Validate's allocations beyond the primitive's
	goalHitNs        = 200  // cache hit, CPU ns
	goalParallelHits = 1.00 // cache hit, parallel ÷ serial elapsed ns/op
	goalMiddleware   = 1.03 // net/http middleware ÷ Validate
	goalIssuers      = 1.02 // ten issuers ÷ one
)

// rawLimit is the goal for Validate ÷ raw verify of alg.
func rawLimit(alg string) float64 {
	if strings.HasPrefix(alg, "RS") {
		return goalRSA
	}
	return goalOther
}

// rawName names the standard library check that is "raw" for alg.
func rawName(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"):
		return "`rsa.VerifyPKCS1v15`"
	case strings.HasPrefix(alg, "ES"):
		return "`ecdsa.VerifyASN1`"
	case alg == "EdDSA":
		return "`ed25519.Verify`"
	}
	return "raw"
}

// goalCell is one algorithm's figure for a goal.
type goalCell struct {
	text     string
	met      bool
	measured bool
	reason   string // why it was missed, from the figures; "" when met
}

// goal is one row of the goals table.
type goal struct {
	text string
	cell func(alg string) goalCell
}

// goals lists the goals in table order.
func (res *results) goals() []goal {
	return []goal{
		{"warm `Validate` ÷ raw verify of the same input, paired: ≤ 0.80× " +
			"`rsa.VerifyPKCS1v15` for RS256, ≤ 1.05× `ecdsa.VerifyASN1` (ES256) and `ed25519.Verify` (EdDSA)",
			res.validateGoal},
		{fmt.Sprintf("allocations of `Validate` beyond the signature primitive's ≤ %d (`BenchmarkVerify`: "+
			"jwtguard − primitive)", goalExtraAllocs), res.allocGoal},
		{"verified-token cache hit ≤ 0.2 µs (CPU, one goroutine)", res.hitGoal},
		{"parallel cache hits scale: elapsed ns/op from GOMAXPROCS goroutines ≤ from one (interleaved)",
			res.scaleGoal},
		{"net/http middleware ≤ 1.03× `Validate`, paired", func(alg string) goalCell {
			return res.pairedGoal(alg, "jwtguard-nethttp", "jwtguard", goalMiddleware, "the middleware")
		}},
		{"ten issuers ≤ 1.02× one, paired", func(alg string) goalCell {
			return res.pairedGoal(alg, "jwtguard-10issuers", "jwtguard", goalIssuers, "ten issuers")
		}},
		{"faster than each peer, paired (`BenchmarkPeers`: jwtguard ÷ the fastest peer)", res.peerGoal},
	}
}

// cpuMedian is the median of a paired metric, or NaN.
func (res *results) cpuMedian(name, who string) float64 { return median(res.metric(name, who)) }

// diffMedian is the median over runs of metric a − metric b of a
// benchmark, or NaN.
func (res *results) diffMedian(name, a, b string) float64 {
	xs, ys := res.metric(name, a), res.metric(name, b)
	if len(xs) == 0 || len(xs) != len(ys) {
		return math.NaN()
	}
	var d []float64
	for i := range xs {
		d = append(d, xs[i]-ys[i])
	}
	return median(d)
}

func (res *results) validateGoal(alg string) goalCell {
	r, spr, ok := res.pairedRatio(alg, "jwtguard")
	if !ok {
		return goalCell{text: "–"}
	}
	limit := rawLimit(alg)
	c := goalCell{text: fmt.Sprintf("%.3f× ±%.1f%%", r, 100*spr), met: r <= limit, measured: true}
	if !c.met {
		name := "Paired/" + alg
		raw := res.cpuMedian(name, "raw")
		extra := res.diffMedian(name, "jwtguard", "primitive")
		if p, _, ok := res.pairedRatio(alg, "primitive"); ok && !math.IsNaN(extra) {
			c.reason = fmt.Sprintf("jwtguard's signature primitive alone is %.2f× %s; `Validate` adds %s ns "+
				"(%.1f%% of raw) beyond it", p, rawName(alg), thousands(extra), 100*extra/raw)
			if p < limit {
				c.reason += fmt.Sprintf(", where %.2f× would allow %s ns", limit, thousands((limit-p)*raw))
			} else {
				c.reason += fmt.Sprintf(": the primitive alone is over %.2f×", limit)
			}
		}
	}
	return c
}

func (res *results) allocGoal(alg string) goalCell {
	own, prim := res.byName["Verify/"+alg+"/jwtguard"], res.byName["Verify/"+alg+"/primitive"]
	if own == nil || prim == nil {
		return goalCell{text: "–"}
	}
	a, p := median(own.allocs), median(prim.allocs)
	c := goalCell{text: fmt.Sprintf("%s (%s − %s)", thousands(a-p), thousands(a), thousands(p)),
		met: a-p <= goalExtraAllocs, measured: true}
	if !c.met {
		c.reason = fmt.Sprintf("%s allocations beyond the primitive's", thousands(a-p))
	}
	return c
}

func (res *results) hitGoal(alg string) goalCell {
	xs := res.metric("CacheHit/"+alg, "serial-cpu")
	if len(xs) == 0 {
		if r := res.byName["Verify/"+alg+"/jwtguard-cached"]; r != nil {
			xs = r.cpu
		}
	}
	if len(xs) == 0 {
		return goalCell{text: "–"}
	}
	ns := median(xs)
	c := goalCell{text: fmt.Sprintf("%s ns ±%.0f%%", thousands(ns), 100*spread(xs)), met: ns <= goalHitNs, measured: true}
	if !c.met {
		c.reason = fmt.Sprintf("a hit takes %s ns of CPU on this machine", thousands(ns))
	}
	return c
}

func (res *results) scaleGoal(alg string) goalCell {
	name := "CacheHit/" + alg
	r, spr, ok := res.ratioOf(name, "parallel", "serial")
	if !ok {
		return goalCell{text: "–"}
	}
	c := goalCell{text: fmt.Sprintf("%.3f× ±%.1f%%", r, 100*spr), met: r <= goalParallelHits, measured: true}
	if cr, _, ok := res.ratioOf(name, "parallel-cpu", "serial-cpu"); ok {
		c.text += fmt.Sprintf(" (CPU per hit %.2f×)", cr)
		if !c.met {
			if cr <= 1.10 {
				c.reason = fmt.Sprintf("each parallel hit costs the CPU time of a serial one (%.2f×: no contention), "+
					"but the hits did not run side by side: the other core was busy (see the load average)", cr)
			} else {
				c.reason = fmt.Sprintf("each parallel hit costs %.2f× the CPU time of a serial one: contention "+
					"between cores", cr)
			}
		}
	}
	return c
}

func (res *results) pairedGoal(alg, who, base string, limit float64, what string) goalCell {
	name := "Paired/" + alg
	r, spr, ok := res.ratioOf(name, who, base)
	if !ok {
		return goalCell{text: "–"}
	}
	c := goalCell{text: fmt.Sprintf("%.3f× ±%.1f%%", r, 100*spr), met: r <= limit, measured: true}
	if !c.met {
		c.reason = fmt.Sprintf("%s added %s ns over `Validate`'s %s ns", what,
			thousands(res.diffMedian(name, who, base)), thousands(res.cpuMedian(name, base)))
	}
	return c
}

func (res *results) peerGoal(alg string) goalCell {
	worst, worstName := math.Inf(-1), ""
	for _, p := range res.peers(alg) {
		if r, _, ok := res.ratioOf(res.peerGroup(alg)+"/"+alg, "jwtguard", p); ok && r > worst {
			worst, worstName = r, p
		}
	}
	if worstName == "" {
		return goalCell{text: "–"}
	}
	c := goalCell{text: fmt.Sprintf("%.3f× (%s)", worst, worstName), met: worst < 1, measured: true}
	if !c.met {
		c.reason = fmt.Sprintf("%s was as fast or faster", worstName)
	}
	return c
}

// renderGoals writes the goals table, the reasons for those missed, and
// where Validate's time goes.
func renderGoals(w *strings.Builder, res *results) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	algs := res.algs("Paired")
	if len(algs) == 0 {
		algs = res.algs("Verify")
	}
	if len(algs) == 0 {
		return
	}
	p("## Goals\n\n")
	p("The goals of issue 11, from this one run (a ratio is met when its median is at most the goal, "+
		"hence three decimals). Ratios are medians over the runs of each run's ratio, "+
		"± half their range over the median; every ratio of two costs comes from `BenchmarkPaired` (jwtguard "+
		"against raw or itself) or `BenchmarkPeers`, where both were timed with the thread's CPU clock in the "+
		"same loop. Raw verify is %s for RS256, %s for ES256 and %s "+
		"for EdDSA, with SHA-256 of the same signing input where the algorithm hashes outside.\n\n",
		rawName("RS256"), rawName("ES256"), rawName("EdDSA"))
	p("| goal | %s | met |\n| --- |%s --- |\n", strings.Join(algs, " | "), strings.Repeat(" ---: |", len(algs)))
	var reasons []string
	for _, g := range res.goals() {
		var cells, missed []string
		measured := false
		for _, a := range algs {
			c := g.cell(a)
			cells = append(cells, c.text)
			if c.measured {
				measured = true
				if !c.met {
					missed = append(missed, a)
					if c.reason != "" {
						reasons = append(reasons, fmt.Sprintf("- %s, %s: %s.", firstWords(g.text), a, c.reason))
					}
				}
			}
		}
		verdict := "yes"
		switch {
		case !measured:
			verdict = "not measured"
		case len(missed) > 0:
			verdict = "**no** (" + strings.Join(missed, ", ") + ")"
		}
		p("| %s | %s | %s |\n", g.text, strings.Join(cells, " | "), verdict)
	}
	p("\n")
	if len(reasons) > 0 {
		p("Missed, and why, from the same figures:\n\n%s\n\n", strings.Join(reasons, "\n"))
	}
	renderBreakdown(w, res, algs)
}

// firstWords shortens a goal's text to its words before the first colon,
// parenthesis or comma.
func firstWords(s string) string {
	if i := strings.IndexAny(s, ":(,"); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// renderBreakdown writes where Validate's CPU time goes: the raw check,
// jwtguard's primitive, and the rest (decoding, header and claims checks,
// key lookup), with allocations.
func renderBreakdown(w *strings.Builder, res *results, algs []string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if !slices.ContainsFunc(algs, func(a string) bool { return res.byName["Paired/"+a] != nil }) {
		return
	}
	p("### Where `Validate`'s time goes\n\n")
	p("CPU ns per token, paired medians. The primitive is jwtguard's signature check alone (`internal/jws.Verify`: " +
		"for RS256 the modulus prepared once, `internal/pkcs1`); the rest is everything else `Validate` does " +
		"(base64url and JSON decoding, header, `iss`, `aud`, `exp` checks, key lookup). Allocations per token " +
		"from `BenchmarkVerify`.\n\n")
	p("| alg | raw | primitive | × raw | `Validate` | × raw | `Validate` − primitive | allocs: raw / primitive / `Validate` |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, alg := range algs {
		name := "Paired/" + alg
		if res.byName[name] == nil {
			continue
		}
		pr, _, _ := res.pairedRatio(alg, "primitive")
		vr, _, _ := res.pairedRatio(alg, "jwtguard")
		allocs := func(c string) string {
			if r := res.byName["Verify/"+alg+"/"+c]; r != nil {
				return thousands(median(r.allocs))
			}
			return "–"
		}
		p("| %s | %s | %s | %.2f× | %s | %.2f× | %s | %s / %s / %s |\n", alg,
			thousands(res.cpuMedian(name, "raw")), thousands(res.cpuMedian(name, "primitive")), pr,
			thousands(res.cpuMedian(name, "jwtguard")), vr, thousands(res.diffMedian(name, "jwtguard", "primitive")),
			allocs("raw"), allocs("primitive"), allocs("jwtguard"))
	}
	p("\n")
}
