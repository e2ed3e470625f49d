// Package benchmarks compares jwtguard's authz.Validator with the Go JWT
// verifiers people use in its place, on the same tokens and the same keys,
// beside the cost of the bare signature check.
//
// It is its own module, so that the peers it compares against never enter
// jwtguard's go.mod. It holds only tests and benchmarks. Every token
// carries iss, sub, aud, exp, iat, jti, client_id and scope; the
// benchmarks print its shape ("token:" lines) after running.
//
//   - BenchmarkPaired: the standard library's signature check ("raw":
//     rsa.VerifyPKCS1v15, ecdsa.VerifyASN1 or ed25519.Verify, with SHA-256
//     of the signing input), jwtguard's own signature primitive, Validate
//     with one issuer and with ten, and the net/http middleware, all in the
//     same loop, each call timed with the thread's CPU clock: the ratios of
//     issue 11's goals, steady on a busy machine.
//   - BenchmarkPeers: the same loop over raw, Validate and every peer:
//     golang-jwt v5 with keyfunc v3, lestrrat-go/jwx v3, coreos/go-oidc v3
//     and auth0/go-jwt-middleware v3, each checking signature, iss, aud and
//     exp with keys already fetched from the same JWKS URL.
//   - BenchmarkCacheHit: jwtguard with authz.WithTokenCache on a repeated
//     token, from one goroutine and then GOMAXPROCS, interleaved: whether
//     parallel hits scale.
//   - BenchmarkVerify: each verifier alone in its loop, for allocations
//     and absolute times; "primitive" is jwtguard's signature check, so
//     that Validate's allocations beyond it can be counted.
//   - BenchmarkVerifyParallel: the same, from GOMAXPROCS goroutines.
//   - BenchmarkIssuers: one configured issuer against ten, the token coming
//     from one of them, for jwtguard and golang-jwt with keyfunc.
//   - BenchmarkMiddleware: the net/http middleware over a bare handler,
//     against Validate alone, with and without the token cache, and
//     go-jwt-middleware's.
//
// TestVerifiers and TestIssuerVerifiers check that every verifier accepts
// the good tokens and rejects forged, expired and misaddressed ones, so
// that no verifier is fast because it checks less.
//
// Run it with scripts/bench.sh at the repository root, which writes
// docs/benchmarks.md and the README's benchmark table from one run; or
// directly:
//
//	cd benchmarks && go test -run '^$' -bench . -benchmem -count 5 -benchtime 500ms
package benchmarks
