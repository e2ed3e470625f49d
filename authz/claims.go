package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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

	// IssuerName is the Name of the configured Issuer that accepted the token.
	IssuerName string
	// KeyID, Algorithm and Type are the token's kid, alg and typ headers.
	KeyID, Algorithm, Type string

	raw           []byte
	scopeMatching ScopeMatching // the issuer's default strategy

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
func (c *Claims) Decode(v any) error { return json.Unmarshal(c.raw, v) }

// Map returns every claim as a generic JSON value (numbers as json.Number).
// It is decoded once, on first use, and shared: do not modify it.
func (c *Claims) Map() map[string]any {
	c.mapOnce.Do(func() {
		d := json.NewDecoder(bytes.NewReader(c.raw))
		d.UseNumber()
		c.mapErr = d.Decode(&c.m)
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

// lookupString finds a top-level string claim. ok is false when absent;
// err is set when present with another type.
func (c *Claims) lookupString(name string, out *string) (ok bool, err error) {
	v, found := c.Lookup(name)
	if !found {
		return false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return true, errors.New("claim " + name + " is not a string")
	}
	*out = s
	return true, nil
}

// rawClaims is what the payload is decoded into on the hot path: only the
// registered claims and the usual scope claims, so no map is built.
type rawClaims struct {
	Iss         optString       `json:"iss"`
	Sub         string          `json:"sub"`
	Aud         audience        `json:"aud"`
	Exp         numericDate     `json:"exp"`
	Nbf         numericDate     `json:"nbf"`
	Iat         numericDate     `json:"iat"`
	Jti         string          `json:"jti"`
	ClientID    optString       `json:"client_id"`
	Azp         string          `json:"azp"`
	Scope       json.RawMessage `json:"scope"`
	Scp         json.RawMessage `json:"scp"`
	Scopes      json.RawMessage `json:"scopes"`
	Permissions json.RawMessage `json:"permissions"`
}

// errClaimType marks a claim of the wrong JSON type.
var errClaimType = errors.New("claim has the wrong type")

// audience accepts a string or an array of strings (RFC 7519 §4.1.3).
type audience struct {
	set  bool
	list []string
}

func (a *audience) UnmarshalJSON(b []byte) error {
	a.set = true
	if len(b) > 0 && b[0] == '"' {
		s, err := jsonString(b)
		if err != nil {
			return err
		}
		a.list = []string{s}
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &a.list)
	}
	if string(b) == "null" {
		a.set = false
		return nil
	}
	return &claimError{name: "aud"}
}

// optString is a string claim that remembers whether it was present.
type optString struct {
	set bool
	s   string
}

func (o *optString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		return errClaimType
	}
	s, err := jsonString(b)
	if err != nil {
		return err
	}
	o.s, o.set = s, true
	return nil
}

// jsonString decodes a JSON string literal that encoding/json has already
// validated; literals without escapes (nearly all) are sliced directly.
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && utf8.Valid(b) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// numericDate is a JSON number of seconds since the epoch (RFC 7519 §2);
// strings and other types are rejected. null counts as absent.
type numericDate struct {
	set bool
	t   time.Time
}

func (n *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return errClaimType
	}
	// encoding/json validated the literal as a JSON number already.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errClaimType
	}
	// Clamp to a sane range so the conversion cannot overflow.
	const maxSec = 253402300799 // 9999-12-31T23:59:59Z
	switch {
	case math.IsNaN(f) || f < 0:
		f = 0
	case f > maxSec:
		f = maxSec
	}
	sec, frac := math.Modf(f)
	n.t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	n.set = true
	return nil
}

type claimError struct{ name string }

func (e *claimError) Error() string { return "claim " + e.name + " has the wrong type" }

// parseScopeValue reads a space-delimited string or an array of strings.
func appendScopes(dst []string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return dst, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return dst, err
		}
		for _, f := range strings.Fields(s) {
			dst = appendUnique(dst, f)
		}
		return dst, nil
	case '[':
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return dst, err
		}
		for _, f := range list {
			if f != "" {
				dst = appendUnique(dst, f)
			}
		}
		return dst, nil
	}
	return dst, errClaimType
}

func appendUnique(dst []string, s string) []string {
	for _, d := range dst {
		if d == s {
			return dst
		}
	}
	return append(dst, s)
}

// scopeValues returns the scopes from the configured claims.
func (c *Claims) collectScopes(rc *rawClaims, names []string) error {
	var err error
	for _, name := range names {
		var raw json.RawMessage
		switch name {
		case "scope":
			raw = rc.Scope
		case "scp":
			raw = rc.Scp
		case "scopes":
			raw = rc.Scopes
		case "permissions":
			raw = rc.Permissions
		default:
			v, ok := c.Lookup(name)
			if !ok {
				continue
			}
			raw, _ = json.Marshal(v)
		}
		if c.Scopes, err = appendScopes(c.Scopes, raw); err != nil {
			return &claimError{name: name}
		}
	}
	return nil
}
