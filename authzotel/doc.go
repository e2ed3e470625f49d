// Package authzotel traces and measures jwtguard with OpenTelemetry. It attaches
// to the hooks of package authz, which imports no telemetry library itself,
// the way go-redis's redisotel attaches to go-redis hooks:
//
//	tel, err := authzotel.New() // global tracer and meter providers
//	if err != nil { ... }
//	v, err := authz.New(issuers, authz.WithHooks(tel.Hooks())) // spans and every metric
//	if err != nil { ... }
//	defer v.Close() // also unregisters the observed metrics
//
// # Traces
//
// Every Validate call gets a span named "jwtguard.validate" (SpanValidate),
// or, with WithSpanMode(EventOnParent), an event of that name on the span
// already in the caller's context. Every key fetch from an identity
// provider (discovery and JWKS) gets a span named "jwtguard.keys.fetch"
// (SpanFetch).
//
// # Metrics
//
//	jwtguard.validations               counter    {validation}  jwtguard.issuer, jwtguard.outcome, error.type
//	jwtguard.validation.duration       histogram  s             jwtguard.issuer, jwtguard.outcome, error.type
//	jwtguard.key.fetches               counter    {fetch}       jwtguard.issuer, jwtguard.fetch.reason, jwtguard.outcome, error.type
//	jwtguard.key.fetch.duration        histogram  s             jwtguard.issuer, jwtguard.fetch.reason, jwtguard.outcome, error.type
//	jwtguard.keys.age                  gauge      s             jwtguard.issuer                       (Hooks/Observe)
//	jwtguard.keys                      gauge      {key}         jwtguard.issuer                       (Hooks/Observe)
//	jwtguard.token_cache.lookups       counter    {lookup}      jwtguard.token_cache.result           (Hooks/Observe)
//
// # What is recorded, and what never is
//
// Attributes hold the configured issuer's name, the outcome, the stable
// reason code (authz.Reason, as error.type), and on spans the token's alg
// and kid headers. They never hold the token, its signature, or any claim
// value (sub, aud, scopes, jti, ...).
//
// Everything taken from a token is bounded before it is recorded:
//
//   - jwtguard.issuer is the Name of a configured issuer, or "unknown" when
//     the token named none (or was rejected before its iss was read). The
//     token's own iss is never recorded, so an attacker cannot add series.
//   - jwtguard.token.alg is a registered JWS algorithm name, or "other".
//   - jwtguard.token.kid is recorded on spans only, only once the token's
//     iss named a configured issuer, and cut to 64 printable ASCII bytes
//     (others become '?'). It is never a metric attribute: every distinct
//     kid would be a new series.
//
// See docs/observability.md for every name, attribute and unit, with
// example queries.
//
// It is a module of its own, so that OpenTelemetry enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/authzotel
package authzotel
