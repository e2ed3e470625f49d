package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// groupDocs titles and explains each benchmark's table.
var groupDocs = map[string]struct{ title, text string }{
	"Verify": {"One goroutine", "`BenchmarkVerify`: one valid token per algorithm, keys already " +
		"fetched, verified serially. " +
		"`jwtguard-cached` is jwtguard with `authz.WithTokenCache`: the same token again, a cache hit."},
	"VerifyParallel": {"GOMAXPROCS goroutines", "`BenchmarkVerifyParallel`: the same tokens from " +
		"`b.RunParallel`, every goroutine sharing one verifier; ns/op is wall time per token over all " +
		"goroutines, so it shows contention on shared key caches; CPU ns/op is the CPU time of all of them per " +
		"token. `× raw` is against the raw check run in parallel."},
	"Issuers": {"One issuer against ten", "`BenchmarkIssuers`: the verifier is configured with one " +
		"issuer, then ten, and the token comes from one of them. Only jwtguard and golang-jwt with keyfunc " +
		"(ten JWKS URLs merged into one key set, iss checked against the ten afterwards) take several issuers; " +
		"jwx, go-oidc and auth0 take one issuer per verifier and leave routing to the caller."},
	"Paired": {"Paired: jwtguard against raw, in the same loop", "`BenchmarkPaired`: each iteration runs the raw " +
		"check, jwtguard's primitive, `Validate` with one issuer (`jwtguard`) and with ten " +
		"(`jwtguard-10issuers`), and the net/http middleware over a handler that does nothing " +
		"(`jwtguard-nethttp`), once each on the same token, the first of them rotating, each " +
		"call timed with the thread's CPU clock (less the cost of reading it). All are measured at the same " +
		"moments, so load on a shared machine skews them alike: these ratios are the steadiest. `× raw` is the " +
		"median over runs of each run's ratio; ± its spread. Caches are colder than in a loop of one verifier, " +
		"for all alike; every goal comparing two of jwtguard's costs is judged here."},
	"Peers": {"Peers: jwtguard and every peer in the same loop", "`BenchmarkPeers`: `BenchmarkPaired`'s " +
		"loop over the raw check, `Validate` and every peer. The peers are kept out of `BenchmarkPaired`: the " +
		"garbage they make, collected while jwtguard runs, and the caches they evict would be charged to " +
		"jwtguard's goals; here they share one loop, so jwtguard's figure is a little higher than there."},
	"CacheHit": {"Verified-token cache hits, serial and parallel", "`BenchmarkCacheHit`: `Validate` with " +
		"`authz.WithTokenCache` on a repeated token. Each iteration runs 131,072 hits on one goroutine, then " +
		"131,072 shared among GOMAXPROCS goroutines (taken 256 at a time, as `b.RunParallel` does), so that " +
		"both are measured at the same moments. Elapsed ns " +
		"per hit is what `b.RunParallel` reports under `-cpu 1` and `-cpu N`: hits scale when the parallel " +
		"figure is no higher. CPU ns per hit sums the goroutines' thread CPU clocks: contention between cores " +
		"(a cache line every hit writes) shows as parallel CPU above serial."},
	"Middleware": {"net/http middleware", "`BenchmarkMiddleware`: `bare` is the handler alone; " +
		"`validate` is `Validator.Validate` alone; `jwtguard` is `adapters/nethttp.Middleware` over the bare " +
		"handler (extraction, Validate, claims into the request context); `auth0` is go-jwt-middleware's " +
		"`CheckJWT` over the same handler. The `-cached` cases have the verified-token cache on."},
}

// peerDocs says what each verifier is, with the module versions it uses.
var peerDocs = []struct {
	name    string
	modules []string
	text    string
}{
	{"raw", nil, "`crypto/rsa.VerifyPKCS1v15`, `crypto/ecdsa.VerifyASN1` (the DER of r and s built " +
		"beforehand; `ecdsa.Verify` builds it on every call) or `crypto/ed25519.Verify`, plus SHA-256 of the " +
		"signing input for RS256 and ES256; the key parsed and the signature decoded beforehand. What the " +
		"standard library costs for the signature alone."},
	{"primitive", []string{"filippo.io/bigmod"}, "jwtguard's own signature check, `internal/jws.Verify`, on the " +
		"same prepared input, with a key made by `jws.NewKey`: RS256 on the modulus prepared once " +
		"(`internal/pkcs1`, filippo.io/bigmod), ES256 and EdDSA on the standard library."},
	{"jwtguard", nil, "`authz.Validator.Validate` (JWKS parsed by `internal/jws`, claims by " +
		"`internal/strictjson`), the issuer found through `authztest`'s discovery document, keys fetched " +
		"with `Warm`; `jwtguard-cached` adds `authz.WithTokenCache`, `jwtguard-10issuers` has ten issuers " +
		"configured, `jwtguard-nethttp` is `adapters/nethttp.Middleware`."},
	{"golang-jwt", []string{"github.com/golang-jwt/jwt/v5", "github.com/MicahParks/keyfunc/v3", "github.com/MicahParks/jwkset"},
		"`jwt.Parser` with `WithValidMethods`, `WithIssuer`, `WithAudience`, `WithExpirationRequired` into " +
			"`jwt.RegisteredClaims`, keys from `keyfunc.NewDefaultCtx` on the JWKS URL."},
	{"jwx", []string{"github.com/lestrrat-go/jwx/v3", "github.com/lestrrat-go/httprc/v3"},
		"`jwt.ParseString` with `WithKeySet` (a `jwk.Cache`'s `CachedSet` of the JWKS URL), `WithValidate`, " +
			"`WithIssuer`, `WithAudience`, `WithRequiredClaim(\"exp\")`."},
	{"go-oidc", []string{"github.com/coreos/go-oidc/v3"}, "`oidc.NewVerifier` over `oidc.NewRemoteKeySet` " +
		"of the JWKS URL, `Config.ClientID` set to the audience (`SkipClientIDCheck` false)."},
	{"auth0", []string{"github.com/auth0/go-jwt-middleware/v3", "github.com/lestrrat-go/jwx/v3"},
		"go-jwt-middleware v3 (on jwx v3): `validator.New` with `WithKeyFunc` of `jwks.NewCachingProvider` " +
			"(`WithIssuerURL`, `WithCustomJWKSURI`), `WithAlgorithm`, `WithIssuer`, `WithAudience`; one " +
			"validator per algorithm, as its documentation shows, sharing the provider."},
}

func render(w *strings.Builder, res *results, m machine, versions map[string]string, now time.Time) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Benchmarks\n\n")
	p("<!-- Generated by scripts/bench.sh (benchmarks/cmd/benchtable). Do not edit by hand. -->\n\n")
	p("jwtguard's `Validate` against the Go JWT verifiers used in its place, on the same tokens " +
		"(RS256 with a 2048-bit key, ES256, EdDSA; see Token) and the same JWKS, beside the bare signature check. " +
		"Every verifier checks the signature, `iss`, `aud` and `exp`; `TestVerifiers` in `benchmarks/` " +
		"proves each one accepts the good tokens and rejects forged, expired and misaddressed ones. " +
		"Figures are medians of every run; ± is half the range of the runs over the median. " +
		"ns/op is elapsed time; CPU ns/op is the process's CPU time per op (every goroutine and the " +
		"garbage collector included), which time spent waiting for a CPU on a busy machine does not swell. " +
		"`× raw` is the time over the raw signature check of the same algorithm.\n\n")

	p("## Machine\n\n")
	model := m.cpu
	switch {
	case model == "":
		model = res.cpu
	case res.cpu != "" && res.cpu != model:
		model += " (as go test names it: " + res.cpu + ")"
	}
	p("| | |\n| --- | --- |\n")
	p("| date | %s |\n", now.Format("2006-01-02 15:04 MST"))
	if m.goVersion != "" {
		p("| go | `%s` |\n", m.goVersion)
	}
	p("| cpu | %s |\n", model)
	if m.nproc != "" {
		p("| nproc | %s |\n", m.nproc)
	}
	p("| GOMAXPROCS | %d |\n", res.procs)
	if res.goos != "" {
		p("| os/arch | %s/%s |\n", res.goos, res.goarch)
	}
	command := m.command
	if command == "" {
		command = res.command
	}
	if command != "" {
		p("| command | `%s` |\n", command)
	}
	if m.load != "" {
		p("| load average (1, 5, 15 min) | %s |\n", m.load)
	}
	p("\n")

	renderToken(w, res)
	renderGoals(w, res)
	if notes := strings.TrimSpace(m.notes); notes != "" {
		p("%s\n\n", notes)
	}

	for _, g := range res.groups() {
		doc, ok := groupDocs[g]
		if !ok {
			doc.title = g
		}
		p("## %s\n\n", doc.title)
		if doc.text != "" {
			p("%s\n\n", doc.text)
		}
		switch g {
		case "Paired", "Peers":
			renderPaired(w, res, g)
			continue
		case "CacheHit":
			renderCacheHit(w, res)
			continue
		}
		p("| alg | verifier | ns/op | ± | × raw | CPU ns/op | ± | × raw (CPU) | B/op | allocs/op |\n")
		p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, alg := range res.algs(g) {
			floor, floorCPU := res.floor(g, alg, wall), res.floor(g, alg, cpu)
			for _, n := range res.order {
				gg, a, c := split(n)
				if gg != g || a != alg {
					continue
				}
				r := res.byName[n]
				ns, cpuNs := median(r.ns), median(r.cpu)
				name := c
				if isJWTGuard(c) {
					name = "**" + c + "**"
				}
				p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", alg, name,
					thousands(ns), percent(r.ns), ratio(ns, floor),
					thousands(cpuNs), percent(r.cpu), ratio(cpuNs, floorCPU),
					thousands(median(r.bytes)), thousands(median(r.allocs)))
			}
		}
		p("\n")
	}

	p("## Verifiers\n\n")
	p("| verifier | modules | configuration |\n| --- | --- | --- |\n")
	for _, d := range peerDocs {
		var mods []string
		for _, mod := range d.modules {
			if v, ok := versions[mod]; ok {
				mods = append(mods, "`"+mod+"` "+v)
			}
		}
		p("| %s | %s | %s |\n", d.name, strings.Join(mods, "<br>"), d.text)
	}
	p("\n")

	p("<details><summary>Raw output</summary>\n\n```\n")
	for _, l := range res.lines {
		p("%s\n", l)
	}
	p("```\n\n</details>\n")
}

// renderPaired writes the table of a paired benchmark, BenchmarkPaired or
// BenchmarkPeers.
func renderPaired(w *strings.Builder, res *results, group string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("| alg | verifier | CPU ns/op | ± | × raw | ± |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, alg := range res.algs(group) {
		r := res.byName[group+"/"+alg]
		for _, who := range res.pairedNames(group, alg) {
			name := who
			if isJWTGuard(who) {
				name = "**" + who + "**"
			}
			ratio, spr, _ := res.ratioOf(group+"/"+alg, who, "raw")
			p("| %s | %s | %s | %s | %.2f× | %.0f%% |\n", alg, name, thousands(median(r.paired[who])),
				percent(r.paired[who]), ratio, 100*spr)
		}
	}
	p("\n")
}

// renderCacheHit writes BenchmarkCacheHit's table.
func renderCacheHit(w *strings.Builder, res *results) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("| alg | serial ns/hit | ± | parallel ns/hit | ± | parallel ÷ serial | ± | serial CPU ns/hit | ± | " +
		"parallel CPU ns/hit | ± | CPU parallel ÷ serial |\n")
	p("| --- |%s\n", strings.Repeat(" ---: |", 11))
	for _, alg := range res.algs("CacheHit") {
		name := "CacheHit/" + alg
		cell := func(who string) (string, string) {
			xs := res.metric(name, who)
			return thousands(median(xs)), percent(xs)
		}
		s, sp := cell("serial")
		par, pp := cell("parallel")
		sc, scp := cell("serial-cpu")
		pc, pcp := cell("parallel-cpu")
		r, rs, _ := res.ratioOf(name, "parallel", "serial")
		cr, _, _ := res.ratioOf(name, "parallel-cpu", "serial-cpu")
		p("| %s | %s | %s | %s | %s | %.2f× | %.0f%% | %s | %s | %s | %s | %.2f× |\n",
			alg, s, sp, par, pp, r, 100*rs, sc, scp, pc, pcp, cr)
	}
	p("\n")
}

// renderToken writes the claims and sizes of the tokens benchmarked.
func renderToken(w *strings.Builder, res *results) {
	if len(res.tokens) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Token\n\n")
	t0 := res.tokens[0]
	if names := claimNames(t0.payload); len(names) > 0 {
		p("Every verifier gets the same access token per algorithm, with the claims %s "+
			"(`exp` an hour ahead), signed by the test issuer (`authztest`) whose JWKS all of them fetched:\n\n",
			"`"+strings.Join(names, "`, `")+"`")
	}
	if t0.payload != "" {
		p("```json\n%s\n```\n\n", t0.payload)
	}
	p("Sizes in bytes, base64url-encoded as sent (decoded in brackets):\n\n")
	p("| alg | header | header JSON | payload | signature | token |\n| --- | ---: | --- | ---: | ---: | ---: |\n")
	for _, t := range res.tokens {
		p("| %s | %d (%d) | `%s` | %d (%d) | %d (%d) | %d |\n", t.alg, t.enc[0], t.dec[0], t.header,
			t.enc[1], t.dec[1], t.enc[2], t.dec[2], t.total)
	}
	p("\n")
}

// claimNames lists the top-level member names of a JSON object, in order.
func claimNames(js string) []string {
	d := json.NewDecoder(strings.NewReader(js))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var names []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return names
		}
		name, _ := tok.(string)
		names = append(names, name)
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return names
		}
	}
	return names
}

// percent formats the spread of runs, or "–" for none.
func percent(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*spread(xs))
}

// ratio formats a/b as "1.23×", or "–" when either is missing.
func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// thousands formats v rounded, with comma separators: 71,565; values under
// 10 keep one decimal.
func thousands(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v < 10 && v != math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(",")
		}
		b.WriteRune(c)
	}
	return b.String()
}
