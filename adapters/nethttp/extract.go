package nethttp

import (
	"errors"
	"net/http"
	"strings"
)

// Extractor finds the bearer token in a request. It returns "" and a nil
// error when its source holds no token, and an error when the request
// carries one in a malformed way. The error should match ErrInvalidRequest
// (answered 400, see RequestError) or authz.ErrInvalidToken (401); any
// other error is answered 500.
//
// Extractor is shared by every HTTP adapter of jwtguard.
type Extractor func(r *http.Request) (string, error)

// ErrInvalidRequest matches every error that means the request carries its
// token in a malformed way: RFC 6750 §3.1's invalid_request, answered 400.
var ErrInvalidRequest = errors.New("nethttp: invalid request")

// RequestError is the error the package's extractors return for a
// malformed request. It matches ErrInvalidRequest.
type RequestError struct {
	// Description is a short, fixed text for the error_description of the
	// challenge, such as "more than one Authorization header". It must not
	// contain any part of the token.
	Description string
}

// Error returns the description.
func (e *RequestError) Error() string { return "nethttp: invalid request: " + e.Description }

// Is reports whether target is ErrInvalidRequest.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

var (
	errMultipleHeaders = &RequestError{Description: "more than one Authorization header"}
	errMalformedHeader = &RequestError{Description: "malformed bearer credentials"}
)

// FromAuthorizationHeader reads the token from the Authorization header,
// the default source (RFC 6750 §2.1): the scheme "Bearer" in any letter
// case, one or more spaces, and exactly one token made of the b64token
// characters (letters, digits, "-", ".", "_", "~", "+", "/", then any "=").
//
// A header with another scheme (Basic, ...) holds no bearer token: ""
// without error. More than one Authorization header, "Bearer" without a
// token, two tokens, or a character outside b64token is a malformed request
// (*RequestError, 400).
func FromAuthorizationHeader() Extractor { return fromAuthorizationHeader }

func fromAuthorizationHeader(r *http.Request) (string, error) {
	return ParseAuthorization(r.Header["Authorization"])
}

// ParseAuthorization extracts the bearer token from the values of an
// Authorization header, as FromAuthorizationHeader reads them: no value,
// an empty one or another scheme is no token ("" and no error); more than
// one value, or malformed bearer credentials, is a *RequestError (400). It
// is the parser of every adapter, for transports without an *http.Request
// (gRPC's "authorization" metadata).
func ParseAuthorization(values []string) (string, error) {
	return parseAuthorization(values, true)
}

// parseAuthorization is ParseAuthorization; with checkToken false it does
// not check that the credentials are one b64token, for a caller that
// validates the token first (an accepted token is one: base64url parts and
// dots) and checks only a refused one, with isB64Token.
func parseAuthorization(values []string, checkToken bool) (string, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errMultipleHeaders
	}
	// The server trims optional white space around a field value already;
	// trim again for requests built by hand.
	v := strings.Trim(values[0], " \t")
	if v == "" {
		return "", nil
	}
	const scheme = "Bearer"
	end := strings.IndexAny(v, " \t")
	if end < 0 {
		end = len(v)
	}
	if !strings.EqualFold(v[:end], scheme) {
		return "", nil // another scheme: no bearer token
	}
	tok := strings.TrimLeft(v[end:], " ")
	if len(tok) == len(v)-end || checkToken && !isB64Token(tok) {
		// "Bearer" alone, a tab for a space, or not one b64token.
		return "", errMalformedHeader
	}
	return tok, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// It runs on every request over the whole token, so it looks bytes up in a
// table, four at a time.
func isB64Token(s string) bool {
	i := 0
	for ; i+4 <= len(s); i += 4 {
		if b64tokenChar[s[i]]&b64tokenChar[s[i+1]]&b64tokenChar[s[i+2]]&b64tokenChar[s[i+3]] == 0 {
			break
		}
	}
	for ; i < len(s) && b64tokenChar[s[i]] != 0; i++ {
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// b64tokenChar is 1 for the characters of a b64token before its padding.
var b64tokenChar = func() (t [256]byte) {
	for c := range 256 {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			t[c] = 1
		}
	}
	return t
}()

// FromCookie reads the token from the cookie name, for browser clients
// whose token lives in an HttpOnly cookie. Two cookies of that name are a
// malformed request (400), so a cookie planted for a parent domain cannot
// silently take the place of the real one. FromCookie panics if name is
// empty.
//
// Cookies are sent by the browser on its own: a route that accepts them
// needs protection against cross-site request forgery (SameSite cookies,
// or a check of Origin or of a CSRF token).
func FromCookie(name string) Extractor {
	if name == "" {
		panic("nethttp: FromCookie with an empty name")
	}
	dup := &RequestError{Description: "more than one token cookie"}
	return func(r *http.Request) (string, error) {
		switch cs := r.CookiesNamed(name); len(cs) {
		case 0:
			return "", nil
		case 1:
			return cs[0].Value, nil
		}
		return "", dup
	}
}

// FromQuery reads the token from the URL query parameter name (RFC 6750
// §2.3 uses "access_token"). Repeating the parameter is a malformed request
// (400). FromQuery panics if name is empty.
//
// It is off by default, and should stay off unless a client cannot send a
// header (a WebSocket opened by a browser, a link in an e-mail): a URL is
// written to access logs, proxy and CDN logs and browser history, and sent
// on in Referer headers, so a token in a URL leaks. Prefer short-lived,
// narrowly scoped tokens on such routes.
func FromQuery(name string) Extractor {
	if name == "" {
		panic("nethttp: FromQuery with an empty name")
	}
	dup := &RequestError{Description: "more than one token query parameter"}
	return func(r *http.Request) (string, error) {
		if r.URL == nil || r.URL.RawQuery == "" {
			return "", nil
		}
		vals := r.URL.Query()[name]
		switch len(vals) {
		case 0:
			return "", nil
		case 1:
			return vals[0], nil
		}
		return "", dup
	}
}

// FirstOf tries extractors in order and returns the first token found. An
// error from an extractor ends the search and is returned. Sources after
// the one that held a token are not looked at, so a request carrying a
// token in two places is not rejected (RFC 6750 §3.1 allows rejecting it):
// browsers send cookies whether or not the client also sets a header.
// FirstOf panics if extractors is empty or holds nil.
func FirstOf(extractors ...Extractor) Extractor {
	if len(extractors) == 0 {
		panic("nethttp: FirstOf without extractors")
	}
	list := append([]Extractor(nil), extractors...)
	for _, e := range list {
		if e == nil {
			panic("nethttp: FirstOf with a nil Extractor")
		}
	}
	return func(r *http.Request) (string, error) {
		for _, e := range list {
			tok, err := e(r)
			if err != nil || tok != "" {
				return tok, err
			}
		}
		return "", nil
	}
}
