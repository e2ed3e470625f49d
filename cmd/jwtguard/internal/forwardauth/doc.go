// Package forwardauth is the HTTP authorizer behind jwtguard serve: a
// reverse proxy asks it, for each client request, whether the request may
// go on, and copies the identity headers of an allowed request to the
// upstream.
//
// Each endpoint reads the original request from one set of headers only,
// the one its proxy sets, and ignores the others (which a client may have
// sent itself):
//
//	/auth/nginx     nginx auth_request and ingress-nginx: X-Original-Method,
//	                X-Original-URI, X-Original-URL (host; ingress-nginx)
//	/auth/forward   Traefik ForwardAuth, Caddy forward_auth:
//	                X-Forwarded-Method, -Proto, -Host, -Uri
//	/auth/envoy/…   Envoy HTTP ext_authz (path_prefix /auth/envoy): the
//	                check request's own method, path and Host
//	gRPC Check      Envoy gRPC ext_authz (RegisterEnvoyGRPC): the check
//	                request's attributes.request.http
//
// Answers: 200 exactly to allow (Envoy treats any other 2xx as a denial),
// with the identity headers; 401 or 403 with an RFC 6750 challenge to deny;
// 503 with Retry-After when the issuer's keys cannot be had (nginx turns it
// into a 500; Caddy, Traefik and Envoy pass it on). The path is normalised
// before rules are matched (see NormalizePath) and a request whose path
// cannot be is denied, as is one that no rule matches.
//
// /healthz answers 200, /readyz 200 once every issuer has keys (the key
// store plays no part: a Redis outage does not make it unready), and
// /metrics the decision counters, latency histogram and key state in the
// Prometheus text format. With WithTracing, every decision is a server
// span (SpanDecision) continuing the caller's W3C trace context, with
// authzotel's validation spans beneath it; no token, claim or header value
// is recorded.
//
// The Authorizer's configuration is swapped atomically by Reload: a
// request in flight finishes with the state it started with.
package forwardauth
