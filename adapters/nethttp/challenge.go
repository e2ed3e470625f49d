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
// and a policy denial answers 401.
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
	var code, desc string
	var scopes []string
	switch Status(err) {
	case http.StatusBadRequest:
		code, desc = "invalid_request", "malformed request"
		var re *RequestError
		if errors.As(err, &re) && re.Description != "" {
			desc = re.Description
		}
	case http.StatusUnauthorized:
		if errors.Is(err, authz.ErrInvalidToken) {
			code, desc = "invalid_token", "token is invalid"
			var ve *authz.ValidationError
			if errors.As(err, &ve) {
				desc = ve.Description()
			}
		}
	case http.StatusForbidden:
		code = "insufficient_scope"
		var pe *authz.PolicyError
		if errors.As(err, &pe) {
			scopes = pe.Scopes
		}
	default:
		return ""
	}

	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	writeQuoted(&b, realm)
	if code == "" {
		return b.String()
	}
	b.WriteString(`, error="`)
	b.WriteString(code)
	b.WriteByte('"')
	if desc != "" && !hideDescription {
		b.WriteString(`, error_description="`)
		writeDescription(&b, desc)
		b.WriteByte('"')
	}
	if len(scopes) > 0 {
		b.WriteString(`, scope=`)
		writeQuoted(&b, strings.Join(scopes, " "))
	}
	return b.String()
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
