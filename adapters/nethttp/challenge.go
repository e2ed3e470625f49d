package nethttp

import (
	"errors"
	"net/http"
	"strings"

	"github.com/jwtguard/jwtguard/authz"
)

// Status returns the HTTP status for an error from an Extractor,
// authz.Validator.Validate or an authz.Policy, following RFC 6750 §3:
//
//	nil                                   200
//	authz.ErrKeysUnavailable              503
//	ErrInvalidRequest                     400
//	authz.ErrMissingToken                 401
//	authz.ErrInvalidToken                 401
//	authz.ErrForbidden                    403
//	anything else                         500
//
// The cases are tried in that order, so an error joining a token problem
// and a policy denial answers 401. It is Classify(err).Status.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, authz.ErrKeysUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrInvalidRequest):
		return http.StatusBadRequest
	case errors.Is(err, authz.ErrMissingToken), errors.Is(err, authz.ErrInvalidToken):
		return http.StatusUnauthorized
	case errors.Is(err, authz.ErrForbidden):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// Outcome is how every jwtguard adapter answers an error from an
// Extractor, authz.Validator.Validate or an authz.Policy (RFC 6750 §3): the
// one classification that Status, Challenge and the adapters of other
// transports (grpcauth.Code) derive from.
type Outcome struct {
	// Status is Status(err): 200, 400, 401, 403, 503 or 500.
	Status int
	// Error is the RFC 6750 error code: "invalid_request" (400),
	// "invalid_token" (401 with a token), "insufficient_scope" (403), or ""
	// (no token, and every other status); for a DPoP proof (RFC 9449
	// §7.1), "invalid_dpop_proof" or "use_dpop_nonce" (401).
	Error string
	// Description is a short fixed text for error_description and for
	// messages, holding nothing from the token: the RequestError's or
	// ValidationError's Description, or a generic text, for 400 and 401
	// ("no bearer token" when there is none, which the challenge leaves
	// out: RFC 6750 §3.1 gives no error code to a request without a token).
	Description string
	// Scopes are the scopes a denying policy requires
	// ((*authz.PolicyError).Scopes), for 403.
	Scopes []string
}

// Classify returns the Outcome of err.
func Classify(err error) Outcome {
	o := Outcome{Status: Status(err)}
	switch o.Status {
	case http.StatusBadRequest:
		o.Error, o.Description = "invalid_request", "malformed request"
		var re *RequestError
		if errors.As(err, &re) && re.Description != "" {
			o.Description = re.Description
		}
	case http.StatusUnauthorized:
		o.Description = "no bearer token"
		switch {
		case errors.Is(err, authz.ErrDPoPNonce):
			o.Error, o.Description = "use_dpop_nonce", "DPoP proof needs the server nonce"
		case errors.Is(err, authz.ErrDPoPProof):
			o.Error, o.Description = "invalid_dpop_proof", "DPoP proof is invalid"
		case errors.Is(err, authz.ErrInvalidToken):
			o.Error, o.Description = "invalid_token", "token is invalid"
		}
		var ve *authz.ValidationError
		if errors.As(err, &ve) {
			o.Description = ve.Description()
		}
	case http.StatusForbidden:
		o.Error = "insufficient_scope"
		var pe *authz.PolicyError
		if errors.As(err, &pe) {
			o.Scopes = pe.Scopes
		}
	}
	return o
}

// Challenge returns the WWW-Authenticate value for err (RFC 6750 §3), or ""
// when Status(err) is not 400, 401 or 403:
//
//	400  Bearer realm="<realm>", error="invalid_request", error_description="<description>"
//	401  Bearer realm="<realm>"                                   (no token)
//	401  Bearer realm="<realm>", error="invalid_token", error_description="<description>"
//	403  Bearer realm="<realm>", error="insufficient_scope", scope="<scopes>"
//
// The description is (*authz.ValidationError).Description or
// RequestError.Description, fixed texts that hold nothing from the token;
// hideDescription leaves error_description out. Characters RFC 6750 does
// not allow in it are replaced: a double quote by a single quote, a
// backslash or any byte outside printable ASCII by "?". scope lists
// (*authz.PolicyError).Scopes separated by spaces, and is left out when
// there are none. realm and scope are quoted strings: a double quote or
// backslash in them is escaped with a backslash, and a byte outside
// printable ASCII becomes "?".
func Challenge(realm string, err error, hideDescription bool) string {
	return Classify(err).Challenge(realm, hideDescription)
}

// Challenge returns the WWW-Authenticate value of o, as the function
// Challenge documents, or "" when o.Status is not 400, 401 or 403.
func (o Outcome) Challenge(realm string, hideDescription bool) string {
	switch o.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
	default:
		return ""
	}
	code, desc, scopes := o.Error, o.Description, o.Scopes
	if o.DPoPError() {
		// A DPoP proof error is the DPoP challenge's (DPoPChallenge); the
		// Bearer challenge beside it says only that Bearer is accepted.
		code = ""
	}
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	writeQuoted(&b, realm)
	if code == "" {
		return b.String()
	}
	writeParams(&b, code, desc, scopes, hideDescription)
	return b.String()
}

// DPoPError reports whether o is a DPoP proof error (invalid_dpop_proof,
// use_dpop_nonce).
func (o Outcome) DPoPError() bool {
	return o.Error == "invalid_dpop_proof" || o.Error == "use_dpop_nonce"
}

// DPoPChallenge returns the DPoP WWW-Authenticate value of o (RFC 9449
// §7.1), or "" when o.Status is not 400, 401 or 403:
//
//	DPoP algs="<algs>"                                   (no token)
//	DPoP algs="<algs>", error="<code>", error_description="<description>"
//
// with the same rules for the description and scope as Challenge.
func (o Outcome) DPoPChallenge(algs string, hideDescription bool) string {
	switch o.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
	default:
		return ""
	}
	var b strings.Builder
	b.WriteString(`DPoP algs=`)
	writeQuoted(&b, algs)
	if o.Error != "" {
		writeParams(&b, o.Error, o.Description, o.Scopes, hideDescription)
	}
	return b.String()
}

// writeParams writes the error, error_description and scope parameters of
// a challenge.
func writeParams(b *strings.Builder, code, desc string, scopes []string, hideDescription bool) {
	b.WriteString(`, error="`)
	b.WriteString(code)
	b.WriteByte('"')
	if desc != "" && !hideDescription {
		b.WriteString(`, error_description="`)
		writeDescription(b, desc)
		b.WriteByte('"')
	}
	if len(scopes) > 0 {
		b.WriteString(`, scope=`)
		writeQuoted(b, strings.Join(scopes, " "))
	}
}

// maxDescription caps an error_description, in bytes.
const maxDescription = 200

// writeDescription writes s keeping to RFC 6750's error_description
// characters: %x20-21 / %x23-5B / %x5D-7E.
func writeDescription(b *strings.Builder, s string) {
	if len(s) > maxDescription {
		s = s[:maxDescription]
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\' || c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
}

// writeQuoted writes s as an RFC 9110 quoted-string, escaping '"' and '\'
// and replacing control and non-ASCII bytes, which a header value must not
// carry unencoded.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
