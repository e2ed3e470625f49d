package authz

import (
	"context"
	"strconv"
)

// ScopeMatching is how a required scope is compared with the scopes a token
// grants (Claims.Scopes). Choose it per policy by calling the policy
// constructors as its methods:
//
//	authz.RequireScopes("read:messages")              // Exact
//	authz.Hierarchic.RequireScopes("read:messages")   // "read" also grants it
//	authz.Wildcard.RequireAnyScope("messages:read")   // "messages:*" also grants it
//
// Whatever the strategy, comparison is case-sensitive and a granted scope
// equal to the required one always matches. The strategies do not combine:
// a token's "messages:*" is a literal scope under Hierarchic, and its
// "messages" is a literal scope under Wildcard.
type ScopeMatching uint8

// Scope matching strategies. The zero ScopeMatching is the default
// strategy, which is Exact.
const (
	// Exact: a granted scope g matches a required scope r only when g == r,
	// comparing whole scope tokens, case-sensitively (RFC 6749 §3.3).
	Exact ScopeMatching = iota + 1

	// Hierarchic: g matches r when g == r, or when r begins with g
	// followed by a colon. So "read" grants "read:messages" and
	// "read:messages:own", and "read:messages" grants "read:messages:own";
	// but "read" does not grant "readonly", "read.messages" or "read/x",
	// and "read:messages" does not grant "read". The separator is always
	// ":".
	Hierarchic

	// Wildcard: g matches r when g == r, or when g ends in ":*" and r
	// begins with g without its final "*" and continues beyond it. So
	// "messages:*" grants "messages:read" and "messages:read:own", but
	// not "messages" itself nor "messagesx:read". A "*" anywhere but as
	// the whole last segment is an ordinary character, and a bare "*"
	// grants nothing but a required "*": a single misconfigured grant
	// must not open every route.
	Wildcard
)

// String returns "exact", "hierarchic" or "wildcard" ("exact" for the zero
// value).
func (m ScopeMatching) String() string {
	switch m {
	case 0, Exact:
		return "exact"
	case Hierarchic:
		return "hierarchic"
	case Wildcard:
		return "wildcard"
	}
	return "ScopeMatching(" + strconv.Itoa(int(m)) + ")"
}

// Grants reports whether a granted scope grants a required one under m.
// It is what the scope policies use, exported for custom policies.
func (m ScopeMatching) Grants(granted, required string) bool {
	if granted == required {
		return granted != ""
	}
	switch m {
	case Hierarchic:
		n := len(granted)
		return n > 0 && len(required) > n && required[n] == ':' && required[:n] == granted
	case Wildcard:
		// granted is "<prefix>:*" with a non-empty prefix; required is
		// "<prefix>:" and at least one more byte.
		n := len(granted) - 1 // length of "<prefix>:"
		return n >= 2 && granted[n] == '*' && granted[n-1] == ':' &&
			len(required) > n && required[:n] == granted[:n]
	}
	return false
}

// RequireScopes allows a token that grants every one of scopes, compared
// exactly (case-sensitive whole scope tokens, RFC 6749 §3.3). The denial
// lists all required scopes in PolicyError.Scopes, for the scope= parameter
// of the 403 challenge. It panics if scopes is empty or one of them is not
// a valid scope token (RFC 6749 §3.3: one or more printable ASCII
// characters other than space, '"' and '\').
func RequireScopes(scopes ...string) Policy { return newScopePolicy(0, false, scopes) }

// RequireAnyScope allows a token that grants at least one of scopes,
// compared exactly. The denial lists all of them in PolicyError.Scopes. It
// panics as RequireScopes does.
func RequireAnyScope(scopes ...string) Policy { return newScopePolicy(0, true, scopes) }

// RequireScopes is the package's RequireScopes, matching with m.
func (m ScopeMatching) RequireScopes(scopes ...string) Policy {
	return newScopePolicy(m, false, scopes)
}

// RequireAnyScope is the package's RequireAnyScope, matching with m.
func (m ScopeMatching) RequireAnyScope(scopes ...string) Policy {
	return newScopePolicy(m, true, scopes)
}

func newScopePolicy(m ScopeMatching, anyOf bool, scopes []string) *scopePolicy {
	if m > Wildcard {
		panic("authz: unknown " + m.String())
	}
	fn := "RequireScopes"
	if anyOf {
		fn = "RequireAnyScope"
	}
	if len(scopes) == 0 {
		panic("authz: " + fn + " needs at least one scope")
	}
	for _, s := range scopes {
		if !validScopeToken(s) {
			panic("authz: " + fn + ": " + strconv.Quote(s) + " is not a valid scope token (RFC 6749 §3.3)")
		}
	}
	req := unionScopes(nil, scopes)
	text := listRequirement("scope", req, anyOf)
	if m > Exact {
		text += " (" + m.String() + ")"
	}
	return &scopePolicy{match: m, anyOf: anyOf, required: req, text: text,
		err: &PolicyError{Requirement: text, Scopes: req}}
}

// validScopeToken reports whether s is a scope-token: 1*( %x21 / %x23-5B /
// %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

type scopePolicy struct {
	match    ScopeMatching // 0: the default
	anyOf    bool
	required []string
	text     string
	err      *PolicyError // returned on every denial; shared, never modified
}

func (p *scopePolicy) Check(_ context.Context, c *Claims) error {
	if c == nil {
		return p.err
	}
	m := p.match
	if m == 0 {
		m = defaultScopeMatching(c)
	}
	if p.anyOf {
		for _, r := range p.required {
			if grantsScope(m, c.Scopes, r) {
				return nil
			}
		}
		return p.err
	}
	for _, r := range p.required {
		if !grantsScope(m, c.Scopes, r) {
			return p.err
		}
	}
	return nil
}

// defaultScopeMatching is the strategy for policies that choose none: the
// accepting issuer's Issuer.ScopeMatching (zero means Exact).
func defaultScopeMatching(c *Claims) ScopeMatching {
	if c.scopeMatching != 0 {
		return c.scopeMatching
	}
	return Exact
}

func grantsScope(m ScopeMatching, granted []string, required string) bool {
	for _, g := range granted {
		if m.Grants(g, required) {
			return true
		}
	}
	return false
}

func (p *scopePolicy) requirement() string { return p.text }

func (p *scopePolicy) staticDenial() *PolicyError { return p.err }

func (p *scopePolicy) allOfScopes() []string {
	if p.anyOf {
		return nil
	}
	return p.required
}
