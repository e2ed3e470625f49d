package authz

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Claims are the verified claims of a token: the standard ones typed, the
// scopes parsed, and the raw payload for anything else.
//
// A Claims value is read-only once Validate returns it and safe to share
// between goroutines; do not modify its slices.
type Claims struct {
	// Issuer is the iss claim, exactly as in the token.
	Issuer string
	// Subject is the sub claim.
	Subject string
	// Audience is aud, as a list whether the token held a string or an array.
	Audience []string
	// ExpiresAt is exp (always present in a valid token).
	ExpiresAt time.Time
	// NotBefore is nbf, or the zero time if absent.
	NotBefore time.Time
	// IssuedAt is iat, or the zero time if absent.
	IssuedAt time.Time
	// ID is jti.
	ID string
	// ClientID is client_id (RFC 9068), or azp when client_id is absent.
	ClientID string
	// Scopes are read from the issuer's ScopeClaims, in order, deduplicated.
	Scopes []string
	// Confirmation is the cnf claim: the key a sender-constrained token is
	// bound to (DPoP, RFC 9449; client certificate, RFC 8705).
	Confirmation Confirmation

	// IssuerName is the Name of the configured Issuer that accepted the token.
	IssuerName string
	// KeyID, Algorithm and Type are the token's kid, alg and typ headers.
	KeyID, Algorithm, Type string

	raw           []byte
	scopeMatching ScopeMatching // the issuer's default strategy

	// Room for the usual audience and scope lists, so that decoding a
	// token allocates no slice for them.
	audBuf   [2]string
	scopeBuf [8]string

	mapOnce sync.Once
	m       map[string]any
	mapErr  error
}

// Raw returns the token's payload: the claims as JSON, exactly as signed.
// Do not modify it.
func (c *Claims) Raw() json.RawMessage { return c.raw }

// Decode unmarshals the payload into v, for custom claims:
//
//	var custom struct{ Tenant string `json:"tenant"` }
//	err := claims.Decode(&custom)
//
// It reads the payload exactly as the rest of jwtguard does, which is not
// how encoding/json would: a struct field matches only the member whose
// name equals its json tag (or field name) byte for byte — "Tenant" or
// "TENANT" never fill `json:"tenant"` — and a member of the wrong JSON type
// is an error naming the field. Otherwise it follows encoding/json
// (json.Unmarshaler and encoding.TextUnmarshaler are honoured; any gets
// float64 numbers).
func (c *Claims) Decode(v any) error { return strictjson.Decode(c.raw, v) }

// Map returns every claim as a generic JSON value (numbers as json.Number).
// It is decoded once, on first use, and shared: do not modify it.
func (c *Claims) Map() map[string]any {
	c.mapOnce.Do(func() {
		v, err := strictjson.Value(c.raw)
		c.m, _ = v.(map[string]any)
		c.mapErr = err
	})
	return c.m
}

// Lookup walks the claims by path, one element per level of nesting, and
// returns the value found. Each element is a claim name used as is, so names
// containing dots or slashes (Auth0's "https://example.com/roles") work:
//
//	claims.Lookup("realm_access", "roles")
//	claims.Lookup("https://example.com/roles")
func (c *Claims) Lookup(path ...string) (any, bool) {
	var cur any = c.Map()
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, cur != nil || len(path) == 0
}

// HasScope reports whether the token grants scope s exactly.
func (c *Claims) HasScope(s string) bool {
	for _, have := range c.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

// lookupString finds a top-level string claim, read from the payload the
// way every other reader does. ok is false when absent; err is set when
// present with another type.
func (c *Claims) lookupString(name string, out *string) (ok bool, err error) {
	v, found := strictjson.Lookup(c.raw, name)
	if !found {
		return false, nil
	}
	s, isStr := stringOf(v)
	if !isStr {
		return true, &claimError{name: name}
	}
	*out = s
	return true, nil
}

// claimError names a claim of the wrong type or form. It never holds the
// claim's value.
type claimError struct{ name string }

func (e *claimError) Error() string { return "claim " + e.name + " has the wrong type or form" }

// stringOf returns the string a raw JSON value of a validated document
// holds (every caller's document passed strictjson.Valid or ValidObject),
// without copying when the literal has no escape (the payload is never
// modified).
func stringOf(v []byte) (string, bool) {
	b, ok := strictjson.ValidString(v)
	return jws.String(b), ok
}

// decodeRegistered reads the registered claims (RFC 7519 §4.1) and
// client_id / azp from the members of a payload strictjson.ValidObject
// accepted, names compared exactly. A registered claim of the wrong JSON
// type is a *claimError naming it; a registered claim that is null counts
// as absent.
func (c *Claims) decodeRegistered(members []strictjson.Member) (hasIss, hasExp bool, err error) {
	var hasClientID bool
	doc := c.raw
	for i := range members {
		m := &members[i]
		v := m.Value(doc)
		if v[0] == 'n' {
			// null is absent, for every reader (Lookup reports a null
			// claim as absent too).
			continue
		}
		name := m.Key(doc)
		var good bool
		switch string(name) {
		case "iss":
			c.Issuer, good = c.memberString(m)
			hasIss = true
		case "sub":
			c.Subject, good = c.memberString(m)
		case "aud":
			c.Audience, good = c.readAudience(v)
		case "exp":
			c.ExpiresAt, good = numericDate(v)
			hasExp = true
		case "nbf":
			c.NotBefore, good = numericDate(v)
		case "iat":
			c.IssuedAt, good = numericDate(v)
		case "jti":
			c.ID, good = c.memberString(m)
		case "client_id":
			c.ClientID, good = c.memberString(m)
			hasClientID = true
		case "azp":
			var azp string
			azp, good = c.memberString(m)
			if !hasClientID {
				c.ClientID = azp
			}
		case "cnf":
			good = c.readConfirmation(v)
		default:
			continue
		}
		if !good {
			return false, false, &claimError{name: registeredName(name)}
		}
	}
	return hasIss, hasExp, nil
}

// memberString is stringOf for a member's value, without scanning a plain
// string again.
func (c *Claims) memberString(m *strictjson.Member) (string, bool) {
	b, ok := m.String(c.raw)
	return jws.String(b), ok
}

// registeredName returns the constant for a registered claim name, so an
// error never holds bytes of the token.
func registeredName(name []byte) string {
	return knownName(name, "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "azp", "cnf")
}

// knownName returns the one of names that name equals, or "claim": error
// messages name a member with a constant of ours, never with the
// document's bytes.
func knownName(name []byte, names ...string) string {
	for _, n := range names {
		if string(name) == n {
			return n
		}
	}
	return "claim"
}

// readConfirmation reads cnf (RFC 7800 §3.1): an object whose members are
// confirmation methods. jkt (RFC 9449 §6.1) and x5t#S256 (RFC 8705 §3.1)
// must be non-empty strings; any other method, or none at all, marks the
// token as bound in a way jwtguard does not check.
func (c *Claims) readConfirmation(v []byte) bool {
	it, err := strictjson.Object(v)
	if err != nil {
		return false
	}
	n := 0
	for {
		name, val, ok := it.Next()
		if !ok {
			break
		}
		n++
		switch string(name) {
		case "jkt":
			s, ok := stringOf(val)
			if !ok || s == "" {
				return false
			}
			c.Confirmation.JKT = s
		case "x5t#S256":
			s, ok := stringOf(val)
			if !ok || s == "" {
				return false
			}
			c.Confirmation.X5TS256 = s
		default:
			c.Confirmation.Other = true
		}
	}
	if n == 0 {
		c.Confirmation.Other = true
	}
	return it.Err() == nil
}

// readAudience reads aud: a string or an array of strings (RFC 7519
// §4.1.3).
func (c *Claims) readAudience(v []byte) ([]string, bool) {
	switch strictjson.Kind(v) {
	case '"':
		s, ok := stringOf(v)
		c.audBuf[0] = s
		return c.audBuf[:1:1], ok
	case '[':
		it, err := strictjson.Array(v)
		if err != nil {
			return nil, false
		}
		list := c.audBuf[:0]
		for {
			e, ok := it.Next()
			if !ok {
				break
			}
			s, ok := stringOf(e)
			if !ok {
				return nil, false
			}
			list = append(list, s)
		}
		return list[:len(list):len(list)], it.Err() == nil
	}
	return nil, false
}

// numericDate reads a NumericDate (RFC 7519 §2): a JSON number of seconds
// since the epoch, possibly fractional. Anything else — a string, null — is
// the wrong type, and so is a number beyond float64's range. Values before
// the epoch count as the epoch and values past year 9999 as its end, so no
// conversion overflows.
func numericDate(v []byte) (time.Time, bool) {
	if strictjson.Kind(v) != '0' {
		return time.Time{}, false
	}
	if n, ok := smallUint(v); ok { // the usual form: whole seconds
		return time.Unix(min(n, maxNumericDate), 0).UTC(), true
	}
	s := jws.String(v)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(min(max(n, 0), maxNumericDate), 0).UTC(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil { // not a number, or beyond float64 (1e400): no date
		return time.Time{}, false
	}
	switch {
	case math.IsNaN(f) || f < 0:
		f = 0
	case f > maxNumericDate:
		f = maxNumericDate
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

const maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z

// smallUint reads a JSON number of one to 18 digits and nothing else, the
// form of nearly every NumericDate; ok is false for any other number.
// (A number's grammar was checked: no leading zero but "0" itself.)
func smallUint(v []byte) (n int64, ok bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// collectScopes reads the scopes from the issuer's scope claims, in order,
// deduplicated, out of the payload's members. A scope claim of another JSON
// type than its format allows, or a space-delimited string with any
// separator but U+0020 (RFC 6749 §3.3), is a *claimError: one token must
// not grant "read\tadmin" as two scopes to one reader and one to another.
func (c *Claims) collectScopes(claims []scopeClaim, members []strictjson.Member) error {
	c.Scopes = c.scopeBuf[:0]
	for _, sc := range claims {
		m := findMember(c.raw, members, sc.name)
		if m == nil {
			continue
		}
		var good bool
		c.Scopes, good = c.appendScopes(c.Scopes, m, sc.format)
		if !good {
			c.Scopes = nil
			return &claimError{name: sc.name}
		}
	}
	c.Scopes = c.Scopes[:len(c.Scopes):len(c.Scopes)]
	return nil
}

// findMember returns the member named exactly name, or nil.
func findMember(doc []byte, members []strictjson.Member, name string) *strictjson.Member {
	for i := range members {
		if members[i].Is(doc, name) {
			return &members[i]
		}
	}
	return nil
}

// appendScopes appends the scopes of one claim value.
func (c *Claims) appendScopes(dst []string, m *strictjson.Member, format ScopeFormat) ([]string, bool) {
	v := m.Value(c.raw)
	switch strictjson.Kind(v) {
	case '"':
		if format == ScopeArray {
			return dst, false
		}
		s, ok := c.memberString(m)
		if !ok {
			return dst, false
		}
		for s != "" {
			var tok string
			tok, s, _ = strings.Cut(s, " ")
			if tok == "" {
				continue // a doubled, leading or trailing space separates nothing
			}
			if !scopeToken(tok) {
				return dst, false
			}
			dst = appendUnique(dst, tok)
		}
		return dst, true
	case '[':
		if format == ScopeString {
			return dst, false
		}
		it, err := strictjson.Array(v)
		if err != nil {
			return dst, false
		}
		for {
			e, ok := it.Next()
			if !ok {
				break
			}
			s, ok := stringOf(e)
			if !ok {
				return dst, false
			}
			if s != "" {
				dst = appendUnique(dst, s)
			}
		}
		return dst, it.Err() == nil
	case 'n':
		return dst, true // null: no scopes
	}
	return dst, false
}

// scopeToken reports whether one item of a space-delimited scope string
// holds no other separator: no control character and no Unicode white
// space (tab, newline, NBSP, …), which some readers would split on.
func scopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
		i += size - 1
	}
	return true
}

func appendUnique(dst []string, s string) []string {
	for _, d := range dst {
		if d == s {
			return dst
		}
	}
	return append(dst, s)
}
