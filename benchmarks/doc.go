// Package benchmarks compares jwtguard's authz.Validator with the Go JWT
// verifiers people use in its place, on the same tokens and the same keys,
// beside the cost of the bare signature check.
//
// It is its own module, so that the peers it compares against never enter
// jwtguard's go.mod. It holds only tests and benchmarks:
//
//   - BenchmarkVerify: one token per algorithm (RS256 with a 2048-bit key,
//     ES256, EdDSA) verified by jwtguard, golang-jwt v5 with keyfunc v3,
//     lestrrat-go/jwx v3, coreos/go-oidc v3 and auth0/go-jwt-middleware v2,
//     each checking signature, iss, aud and exp with keys already fetched
//     from the same JWKS URL; "raw" is the floor: the hash of the signing
//     input and the signature check alone, with a key parsed beforehand;
//     "jwtguard-cached" is jwtguard with authz.WithTokenCache, the token
//     repeated.
//   - BenchmarkVerifyParallel: the same, from GOMAXPROCS goroutines.
//   - BenchmarkPaired: every verifier in the same loop, each call timed
//     with the thread's CPU clock, for ratios that hold on a busy machine.
//   - BenchmarkIssuers: one configured issuer against ten, the token coming
//     from one of them.
//   - BenchmarkMiddleware: the net/http middleware over a bare handler,
//     against Validate alone, with and without the token cache.
//
// TestVerifiers and TestIssuerVerifiers check that every verifier accepts
// the good tokens and rejects forged, expired and misaddressed ones, so
// that no verifier is fast because it checks less.
//
// Run it with scripts/bench.sh at the repository root, which writes
// docs/benchmarks.md; or directly:
//
//	cd benchmarks && go test -run '^$' -bench . -benchmem -count 5
package benchmarks
