package authz

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error returned by Validate matches exactly one of
// these with errors.Is; every rejection of the token itself (all but
// ErrKeysUnavailable) also matches ErrInvalidToken. Callers decide on the
// sentinel or on ValidationError.Reason, never on the error text.
var (
	// ErrInvalidToken matches every rejection of the token itself: the
	// caller should answer 401 with error="invalid_token".
	ErrInvalidToken = errors.New("authz: invalid token")

	// ErrMissingToken means the request carried no token at all. Validate
	// returns it for an empty string; adapters answer 401 without an error
	// code (RFC 6750 §3.1).
	ErrMissingToken = errors.New("authz: no token")

	// ErrMalformed means the token is not a well-formed compact JWS/JWT:
	// wrong number of parts, bad base64url, bad JSON, or too large.
	ErrMalformed = errors.New("authz: malformed token")

	// ErrAlgorithm means the header's alg is not allowed for the issuer
	// (including "none" and every HMAC algorithm, which are never allowed).
	ErrAlgorithm = errors.New("authz: algorithm not allowed")

	// ErrCritical means the header lists a critical extension ("crit") that
	// jwtguard does not understand (RFC 7515 §4.1.11).
	ErrCritical = errors.New("authz: unsupported critical header")

	// ErrUnknownIssuer means the token's iss names no configured issuer.
	ErrUnknownIssuer = errors.New("authz: unknown issuer")

	// ErrUnknownKey means no key of the token's issuer matches its kid (or,
	// without a kid, not exactly one key fits its alg), even after a refresh.
	ErrUnknownKey = errors.New("authz: unknown signing key")

	// ErrSignature means the signature does not verify with the issuer's key.
	ErrSignature = errors.New("authz: invalid signature")

	// ErrExpired means exp is in the past (beyond the leeway).
	ErrExpired = errors.New("authz: token expired")

	// ErrNotYetValid means nbf or iat lies in the future (beyond the leeway).
	ErrNotYetValid = errors.New("authz: token not yet valid")

	// ErrAudience means aud is missing or names none of the issuer's audiences.
	ErrAudience = errors.New("authz: audience not accepted")

	// ErrType means the typ header is not one the issuer requires.
	ErrType = errors.New("authz: token type not accepted")

	// ErrClaims means a claim is missing, of the wrong JSON type, or refused
	// by an issuer-specific check (for example a Descope refresh token).
	ErrClaims = errors.New("authz: invalid claims")

	// ErrKeysUnavailable means the issuer's keys could not be had: the IdP
	// is unreachable and nothing usable is cached (none, or older than the
	// staleness limit). It is not the caller's fault: answer 503.
	ErrKeysUnavailable = errors.New("authz: signing keys unavailable")

	// ErrForbidden matches every policy denial (*PolicyError): the token is
	// valid but does not grant what the route requires. Answer 403.
	ErrForbidden = errors.New("authz: forbidden")
)

// Reason is a stable, machine-readable code for why a token was rejected.
// Reason codes are part of the API: they appear in metrics and logs and do
// not change between releases.
type Reason string

// Reason codes carried by ValidationError.
const (
	ReasonMissing         Reason = "missing_token"
	ReasonTooLarge        Reason = "too_large"
	ReasonMalformed       Reason = "malformed"
	ReasonAlgorithm       Reason = "alg_not_allowed"
	ReasonCritical        Reason = "crit_unsupported"
	ReasonUnknownIssuer   Reason = "unknown_issuer"
	ReasonUnknownKey      Reason = "unknown_key"
	ReasonSignature       Reason = "bad_signature"
	ReasonExpired         Reason = "expired"
	ReasonMissingExp      Reason = "missing_exp"
	ReasonNotYetValid     Reason = "not_yet_valid"
	ReasonIssuedInFuture  Reason = "issued_in_future"
	ReasonAudience        Reason = "bad_audience"
	ReasonType            Reason = "bad_type"
	ReasonClaims          Reason = "invalid_claims"
	ReasonKeysUnavailable Reason = "keys_unavailable"
)

// ValidationError is the one error type Validate returns. It carries what
// operators need (issuer, key ID, algorithm, a stable reason) and never any
// token or claim contents.
//
// It matches its sentinel (Err) and, for token rejections, ErrInvalidToken
// with errors.Is; the underlying cause, if any, is reachable too.
type ValidationError struct {
	// Reason is the stable code for the rejection.
	Reason Reason
	// Issuer is the URL of the configured issuer the token named, once
	// known; IssuerName is that issuer's Name. Both are empty when the
	// token named no configured issuer (its iss is never copied here).
	Issuer, IssuerName string
	// KeyID is the token's kid header, if any, cut to 64 printable ASCII
	// bytes (it is attacker-controlled text).
	KeyID string
	// Algorithm is the token's alg header, if it was parsed.
	Algorithm string
	// Err is the sentinel this error matches (ErrExpired, ...).
	Err error
	// Cause is the underlying error, if any (for example from the JWKS
	// fetch); it is for logs and may contain network details, never token
	// contents.
	Cause error
}

// Error describes the rejection without echoing any part of the token.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	b.WriteString(" (")
	b.WriteString(string(e.Reason))
	if e.Issuer != "" {
		b.WriteString(", issuer ")
		b.WriteString(e.Issuer)
	}
	if e.KeyID != "" {
		b.WriteString(", kid ")
		b.WriteString(e.KeyID)
	}
	b.WriteString(")")
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause, so errors.Is and errors.As see
// both.
func (e *ValidationError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// Is reports whether target is ErrInvalidToken and this error rejects the
// token itself (anything but a key outage or a missing token).
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalidToken && e.Err != ErrKeysUnavailable && e.Err != ErrMissingToken
}

// Description is a short, fixed, human-readable text for the rejection,
// suitable for the error_description of a WWW-Authenticate header. It never
// contains token contents.
func (e *ValidationError) Description() string {
	return describe(e.Reason)
}

func describe(r Reason) string {
	switch r {
	case ReasonMissing:
		return "no bearer token"
	case ReasonTooLarge:
		return "token too large"
	case ReasonMalformed:
		return "token is malformed"
	case ReasonAlgorithm:
		return "signing algorithm not allowed"
	case ReasonCritical:
		return "unsupported critical header"
	case ReasonUnknownIssuer:
		return "issuer not accepted"
	case ReasonUnknownKey:
		return "signing key not found"
	case ReasonSignature:
		return "signature is invalid"
	case ReasonExpired:
		return "token has expired"
	case ReasonMissingExp:
		return "token has no expiry"
	case ReasonNotYetValid, ReasonIssuedInFuture:
		return "token is not valid yet"
	case ReasonAudience:
		return "audience not accepted"
	case ReasonType:
		return "token type not accepted"
	case ReasonClaims:
		return "token claims are invalid"
	case ReasonKeysUnavailable:
		return "signing keys unavailable"
	case ReasonDPoPProof:
		return "DPoP proof is invalid"
	case ReasonDPoPReplay:
		return "DPoP proof was already used"
	case ReasonDPoPNonce:
		return "DPoP proof needs the server nonce"
	case ReasonBoundAsBearer:
		return "bound token sent without its proof"
	case ReasonDPoPRequired:
		return "DPoP-bound token required"
	case ReasonCertMismatch:
		return "token is bound to another client certificate"
	case ReasonUnknownBinding:
		return "token binding not supported"
	case ReasonReplayUnchecked:
		return "DPoP replay check unavailable"
	}
	return "token is invalid"
}

// sanitizeForLog bounds an attacker-supplied header value before it enters
// an error string: at most 64 printable ASCII bytes.
func sanitizeForLog(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] < 0x20 || b[j] > 0x7e {
					b[j] = '?'
				}
			}
			return string(b)
		}
	}
	return s
}

func newErr(sentinel error, reason Reason) *ValidationError {
	return &ValidationError{Err: sentinel, Reason: reason}
}

// PolicyError is returned by a Policy when a valid token does not grant what
// a route requires. It matches ErrForbidden.
type PolicyError struct {
	// Requirement names the requirement that failed, for logs, for example
	// `scope "write:messages"` or `tenant role "admin"`. It never holds
	// values from the token. A PolicyError may be shared between requests:
	// do not modify it.
	Requirement string
	// Scopes lists the scopes the route requires when the failure is a
	// missing scope; adapters put them in the scope= parameter of the
	// insufficient_scope challenge (RFC 6750 §3). Empty otherwise.
	Scopes []string
}

// Error describes the unmet requirement.
func (e *PolicyError) Error() string {
	return "authz: forbidden: requires " + e.Requirement
}

// Is reports whether target is ErrForbidden.
func (e *PolicyError) Is(target error) bool { return target == ErrForbidden }
