// Command jwtguard debugs JWT access tokens and authorizes requests for
// services behind a reverse proxy.
//
// Usage:
//
//	jwtguard inspect [token|-]
//	jwtguard verify  [flags] [token|-]
//	jwtguard serve   --config file.yaml
//
// inspect decodes a token's header and claims without verifying anything
// and without fetching anything; its output is marked NOT VERIFIED. Times
// are shown as dates and relative to now ("expired 3 h ago").
//
// verify runs the real authz.Validator against an issuer given by flags
// (--issuer and --audience, or --preset with its parameters) or by the
// issuers of a serve configuration (--config). It prints the verified
// claims, or the reason code, the check that failed and a hint to fix it.
// Its exit code is
//
//	0   the token is valid
//	1   the token was rejected
//	2   the issuer's keys could not be had (IdP unreachable, bad JWKS URL)
//	64  usage error (bad flags, unreadable config)
//
// serve runs the forward-auth authorizer for nginx auth_request,
// ingress-nginx, Traefik ForwardAuth, Caddy forward_auth and Envoy ext_authz
// (HTTP, and gRPC with grpc_listen); see docs/authorizer.md for its configuration and the proxies'
// settings. With keystore type redis, the authorizers of a fleet share
// the issuers' keys through Redis, each document authenticated with a
// secret (docs/keystores.md). It reloads its configuration on SIGHUP and
// shuts down gracefully on SIGTERM or SIGINT. Exit code 64 means the configuration
// was refused (every error is printed with its line), 1 any other failure.
//
// A token argument of "-", or none, is read from standard input; a
// leading "Bearer " is ignored.
package main
