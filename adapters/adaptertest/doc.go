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
package adaptertest
