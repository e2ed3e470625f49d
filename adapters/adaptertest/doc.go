// Package adaptertest is the conformance suite of jwtguard's adapters, in
// the spirit of testing/slogtest: Run drives one table of requests — the
// status of every outcome, the WWW-Authenticate challenge, optional
// authentication, tenants from the request, Retry-After — through an
// adapter and reports every way its answers differ from the one mapping of
// RFC 6750 §3 (nethttp.Classify).
//
// An adapter's test provides a Harness: a function that builds a route for
// a Route description and returns a way to send it a Request.
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, adaptertest.Harness{Serve: func(t *testing.T, rt adaptertest.Route) adaptertest.Client {
//			... build a router whose route uses rt, return a Client that sends to it ...
//		}})
//	}
//
// Every adapter of jwtguard (nethttp, chiauth, echoauth, grpcauth) runs it;
// so can an adapter for another router.
//
// RunSenderConstrained is the suite of sender-constrained tokens for an
// HTTP adapter: DPoP (RFC 9449) proofs, replays, nonces, and
// certificate-bound tokens (RFC 8705) over mutual TLS, on real servers.
// Its SenderServe builds the adapter's route for GET SenderPath, in front
// of a handler that answers with WriteReached, and serves it (ServeHTTP
// serves an http.Handler plainly or over TLS):
//
//	func TestSenderConstrained(t *testing.T) {
//		adaptertest.RunSenderConstrained(t, func(t *testing.T, v *authz.Validator, overTLS bool) (string, *http.Client) {
//			r := chi.NewRouter()
//			r.With(chiauth.Require(v)).Get("/v1/things/{id}", adaptertest.HTTPHandler(nethttp.ClaimsFromContext))
//			return adaptertest.ServeHTTP(t, r, overTLS)
//		})
//	}
package adaptertest
