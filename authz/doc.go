// Package authz validates OAuth 2.0 bearer access tokens (JWTs) from several
// identity providers at once — Descope, Auth0 and any OpenID Connect issuer
// — and decides, per route, who may go on.
//
// A Validator holds a set of trusted issuers (Issuer, built with the OIDC,
// Auth0 and Descope presets and amended as plain structs). Validate checks a
// token in the order of RFC 8725's advice: size and form, an asymmetric alg
// from the issuer's allow-list (never "none" or HMAC), no unknown crit, the
// issuer the token names, exp/nbf/iat/aud/typ, and only then the signature,
// with a key of that issuer only. Header parameters jku, x5u, jwk and x5c
// never choose a key.
//
// Keys are fetched through OIDC discovery or a configured JWKS URL, kept
// parsed in process (the hot path takes no lock and does no I/O), refreshed
// in the background before they expire, refreshed once per cooldown when a
// token names an unknown kid (concurrent requests share one fetch), and kept
// serving during an IdP outage up to a staleness limit. A keystore.Store
// (keystore/memory, keystore/redisstore) shares fetched documents across
// Validators and replicas; the store is not trusted: every document is
// authenticated with a secret the fleet shares (WithStoreSecret) before it
// is parsed, and a store other processes can write is refused without one.
//
// Every error is a *ValidationError matching one sentinel (ErrExpired,
// ErrSignature, ...) and, for token problems, ErrInvalidToken;
// ErrKeysUnavailable is kept apart because it means 503, not 401. Policies
// (RequireScopes and the combinators) return *PolicyError, matching
// ErrForbidden (403).
//
// The adapters in github.com/jwtguard/jwtguard/adapters wire a Validator
// into net/http, chi, echo and gRPC; package authztest runs a local issuer
// for tests.
package authz
