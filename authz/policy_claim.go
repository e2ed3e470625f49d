package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ClaimSelector names one claim of a token, possibly nested, and builds
// policies on its value. Make one with Claim or ClaimPath.
//
// Its policies deny when the claim is absent, null, or of a JSON type the
// check does not expect (a number where an array of strings is expected,
// an object anywhere but along the path); they never convert between types.
type ClaimSelector struct {
	path []string
	name string // the path as shown in requirements
}

// Claim selects the claim at path, one element per level of nesting. Each
// element is used as is — no dot splitting — so namespaced claims work:
//
//	authz.Claim("https://example.com/roles").Contains("admin") // Auth0 namespaced claim
//	authz.Claim("realm_access", "roles").Contains("admin")     // Keycloak
//
// It panics if path is empty or an element is empty.
func Claim(path ...string) ClaimSelector {
	if len(path) == 0 {
		panic("authz: Claim needs a path")
	}
	for _, p := range path {
		if p == "" {
			panic("authz: Claim: empty path element")
		}
	}
	return ClaimSelector{path: append([]string(nil), path...), name: claimPathName(path)}
}

// ClaimPath selects a claim by a dotted path, as a convenience:
// ClaimPath("realm_access.roles") is Claim("realm_access", "roles"). There
// is no escaping: for a claim name that contains a dot (Auth0's
// "https://example.com/roles"), use Claim. It panics if path is empty or
// has an empty element ("a..b", ".a").
func ClaimPath(path string) ClaimSelector {
	return Claim(strings.Split(path, ".")...)
}

// claimPathName shows a path as elements joined by dots, quoting any
// element that is not a plain identifier: realm_access.roles,
// "https://example.com/roles", resource_access."my.client".roles.
func claimPathName(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		if plainName(p) {
			b.WriteString(p)
		} else {
			b.WriteString(strconv.Quote(p))
		}
	}
	return b.String()
}

func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}

// Present allows a token in which the claim exists and is not null, with
// any value (an empty string counts).
func (s ClaimSelector) Present() Policy {
	return newClaimPolicy(s, "claim "+s.name+" present", func(any) bool { return true })
}

// Equals allows a token whose claim equals v: a string, a bool, an integer
// or float of any Go type, or a json.Number. Strings compare exactly;
// numbers compare by value (1 equals 1.0); a claim of another JSON type
// (an array holding v, say) does not match. It panics on any other type of
// v, including nil.
func (s ClaimSelector) Equals(v any) Policy {
	want := newScalar("Equals", v)
	return newClaimPolicy(s, "claim "+s.name+" equals "+want.text, want.equal)
}

// OneOf allows a token whose claim equals one of vs, as Equals compares. It
// panics if vs is empty or holds a value Equals does not accept.
func (s ClaimSelector) OneOf(vs ...any) Policy {
	if len(vs) == 0 {
		panic("authz: OneOf needs at least one value")
	}
	wants := make([]claimScalar, len(vs))
	texts := make([]string, len(vs))
	for i, v := range vs {
		wants[i] = newScalar("OneOf", v)
		texts[i] = wants[i].text
	}
	return newClaimPolicy(s, "claim "+s.name+" one of "+strings.Join(texts, " "), func(got any) bool {
		for i := range wants {
			if wants[i].equal(got) {
				return true
			}
		}
		return false
	})
}

// Contains allows a token whose claim contains every one of vs. The claim
// may be an array, whose string elements are compared exactly (other
// elements are skipped), or a string, which contains v when it equals v or
// when v is one of its space-separated words (as in a scope claim). It
// panics if vs is empty or holds an empty string.
func (s ClaimSelector) Contains(vs ...string) Policy {
	vs = checkValues("Contains", vs)
	return newClaimPolicy(s, "claim "+s.name+" contains "+containsText(vs, false), func(got any) bool {
		return containsAll(got, vs)
	})
}

// ContainsAny allows a token whose claim contains at least one of vs, as
// Contains compares. It panics as Contains does.
func (s ClaimSelector) ContainsAny(vs ...string) Policy {
	vs = checkValues("ContainsAny", vs)
	return newClaimPolicy(s, "claim "+s.name+" contains "+containsText(vs, true), func(got any) bool {
		return containsAny(got, vs)
	})
}

func containsText(vs []string, anyOf bool) string {
	switch {
	case len(vs) == 1:
		return quoteList(vs)
	case anyOf:
		return "any of " + quoteList(vs)
	default:
		return "all of " + quoteList(vs)
	}
}

// RequireRoles allows a token whose top-level roles claim (an array, as
// Descope, Entra ID and most IdPs emit, or a space-separated string)
// contains every one of roles, compared exactly. For roles kept elsewhere
// use Claim(...).Contains, KeycloakRealmRoles or TenantRoles. It panics if
// roles is empty or holds an empty string.
func RequireRoles(roles ...string) Policy {
	return valuesPolicy("RequireRoles", "role", []string{"roles"}, roles, false)
}

// RequireAnyRole allows a token whose top-level roles claim contains at
// least one of roles. It panics as RequireRoles does.
func RequireAnyRole(roles ...string) Policy {
	return valuesPolicy("RequireAnyRole", "role", []string{"roles"}, roles, true)
}

// RequirePermissions allows a token whose top-level permissions claim (an
// array, as Auth0 RBAC and Descope emit, or a space-separated string)
// contains every one of perms, compared exactly. It panics if perms is
// empty or holds an empty string.
func RequirePermissions(perms ...string) Policy {
	return valuesPolicy("RequirePermissions", "permission", []string{"permissions"}, perms, false)
}

// RequireAnyPermission allows a token whose top-level permissions claim
// contains at least one of perms. It panics as RequirePermissions does.
func RequireAnyPermission(perms ...string) Policy {
	return valuesPolicy("RequireAnyPermission", "permission", []string{"permissions"}, perms, true)
}

// KeycloakRealmRoles allows a Keycloak token whose realm roles
// (realm_access.roles) include every one of roles. For any of several, use
// Claim("realm_access", "roles").ContainsAny. It panics if roles is empty
// or holds an empty string.
func KeycloakRealmRoles(roles ...string) Policy {
	return valuesPolicy("KeycloakRealmRoles", "realm role", []string{"realm_access", "roles"}, roles, false)
}

// KeycloakClientRoles allows a Keycloak token whose roles for client
// (resource_access.<client>.roles) include every one of roles. Roles of
// other clients never count. It panics if client is empty, or roles is
// empty or holds an empty string.
func KeycloakClientRoles(client string, roles ...string) Policy {
	if client == "" {
		panic("authz: KeycloakClientRoles needs a client")
	}
	prefix := "client " + strconv.Quote(client) + " "
	return valuesPolicy("KeycloakClientRoles", prefix+"role", []string{"resource_access", client, "roles"}, roles, false)
}

// valuesPolicy checks that the array or string at path contains vs. The
// requirement reads `<noun> "a"`, `<noun>s "a" "b"` or `any <noun> of ...`.
func valuesPolicy(fn, noun string, path, vs []string, anyOf bool) Policy {
	vs = checkValues(fn, vs)
	sel := Claim(path...)
	text := listRequirement(noun, vs, anyOf)
	if anyOf {
		return newClaimPolicy(sel, text, func(got any) bool { return containsAny(got, vs) })
	}
	return newClaimPolicy(sel, text, func(got any) bool { return containsAll(got, vs) })
}

func checkValues(fn string, vs []string) []string {
	if len(vs) == 0 {
		panic("authz: " + fn + " needs at least one value")
	}
	for _, v := range vs {
		if v == "" {
			panic("authz: " + fn + ": empty value")
		}
	}
	return append([]string(nil), vs...)
}

// claimPolicy checks the value found at a path.
type claimPolicy struct {
	path []string
	ok   func(any) bool
	text string
	err  *PolicyError
}

func newClaimPolicy(s ClaimSelector, text string, ok func(any) bool) *claimPolicy {
	if len(s.path) == 0 {
		panic("authz: zero ClaimSelector; use Claim or ClaimPath")
	}
	return &claimPolicy{path: s.path, ok: ok, text: text, err: &PolicyError{Requirement: text}}
}

func (p *claimPolicy) Check(_ context.Context, c *Claims) error {
	if c == nil {
		return p.err
	}
	v, found := c.Lookup(p.path...)
	if !found || !p.ok(v) {
		return p.err
	}
	return nil
}

func (p *claimPolicy) requirement() string { return p.text }

func (p *claimPolicy) staticDenial() *PolicyError { return p.err }

// containsAll reports whether got, an array or a string, contains every one
// of vs.
func containsAll(got any, vs []string) bool {
	switch got.(type) {
	case []any, string:
	default:
		return false
	}
	for _, v := range vs {
		if !claimContains(got, v) {
			return false
		}
	}
	return true
}

func containsAny(got any, vs []string) bool {
	for _, v := range vs {
		if claimContains(got, v) {
			return true
		}
	}
	return false
}

func claimContains(got any, v string) bool {
	switch g := got.(type) {
	case []any:
		for _, e := range g {
			if s, ok := e.(string); ok && s == v {
				return true
			}
		}
	case string:
		return g == v || hasWord(g, v)
	}
	return false
}

// hasWord reports whether v is one of the words of s, separated by ASCII
// white space, without allocating.
func hasWord(s, v string) bool {
	for len(s) > 0 {
		i := 0
		for i < len(s) && isASCIISpace(s[i]) {
			i++
		}
		s = s[i:]
		j := 0
		for j < len(s) && !isASCIISpace(s[j]) {
			j++
		}
		if j > 0 && s[:j] == v {
			return true
		}
		s = s[j:]
	}
	return false
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// claimScalar is a required value for Equals and OneOf.
type claimScalar struct {
	kind byte // 's' string, 'b' bool, 'i' integer, 'f' float
	s    string
	b    bool
	i    int64
	f    float64
	text string
}

func newScalar(fn string, v any) claimScalar {
	switch x := v.(type) {
	case string:
		return claimScalar{kind: 's', s: x, text: strconv.Quote(x)}
	case bool:
		return claimScalar{kind: 'b', b: x, text: strconv.FormatBool(x)}
	case int:
		return intScalar(int64(x))
	case int8:
		return intScalar(int64(x))
	case int16:
		return intScalar(int64(x))
	case int32:
		return intScalar(int64(x))
	case int64:
		return intScalar(x)
	case uint:
		return uintScalar(uint64(x))
	case uint8:
		return uintScalar(uint64(x))
	case uint16:
		return uintScalar(uint64(x))
	case uint32:
		return uintScalar(uint64(x))
	case uint64:
		return uintScalar(x)
	case float32:
		return floatScalar(fn, float64(x))
	case float64:
		return floatScalar(fn, x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return intScalar(i)
		}
		if f, err := x.Float64(); err == nil {
			return floatScalar(fn, f)
		}
		panic("authz: " + fn + ": invalid json.Number " + strconv.Quote(string(x)))
	}
	panic(fmt.Sprintf("authz: %s: unsupported value type %T (want string, bool, number)", fn, v))
}

func intScalar(i int64) claimScalar {
	return claimScalar{kind: 'i', i: i, text: strconv.FormatInt(i, 10)}
}

func uintScalar(u uint64) claimScalar {
	if u > math.MaxInt64 {
		return claimScalar{kind: 'f', f: float64(u), text: strconv.FormatUint(u, 10)}
	}
	return intScalar(int64(u))
}

func floatScalar(fn string, f float64) claimScalar {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		panic("authz: " + fn + ": NaN and infinities never match a JSON number")
	}
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return intScalar(int64(f))
	}
	return claimScalar{kind: 'f', f: f, text: strconv.FormatFloat(f, 'g', -1, 64)}
}

// equal compares a JSON value from Claims.Map with the required value.
func (w *claimScalar) equal(got any) bool {
	switch g := got.(type) {
	case string:
		return w.kind == 's' && g == w.s
	case bool:
		return w.kind == 'b' && g == w.b
	case json.Number:
		switch w.kind {
		case 'i':
			if i, err := strconv.ParseInt(string(g), 10, 64); err == nil {
				return i == w.i
			}
			f, err := strconv.ParseFloat(string(g), 64)
			return err == nil && f == float64(w.i) && math.Abs(f) < 1<<53
		case 'f':
			f, err := strconv.ParseFloat(string(g), 64)
			return err == nil && f == w.f
		}
	case float64: // Map decodes numbers as json.Number; accept float64 too
		switch w.kind {
		case 'i':
			return g == float64(w.i) && math.Abs(g) < 1<<53
		case 'f':
			return g == w.f
		}
	}
	return false
}
