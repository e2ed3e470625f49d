package authz

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// Policy decides whether a verified token may use a route. Check returns
// nil to allow, or an error matching ErrForbidden (usually *PolicyError) to
// deny. ctx carries request details an adapter adds (see WithTenant and the
// adapters' docs); a policy must not block.
//
// Any other error (one that does not match ErrForbidden) means the policy
// could not decide; adapters treat it as a server error, and the
// combinators pass it on rather than turn it into an allow (see Any, Not).
//
// The policies of this package are safe for concurrent use and never put
// token contents in their errors: a denial names only what the policy
// requires. Scope checks allocate nothing, whether they allow or deny; the
// other policies allocate nothing when they allow, once the claims' map is
// decoded (on the first Claims.Lookup of a token).
type Policy interface {
	Check(ctx context.Context, c *Claims) error
}

// PolicyFunc adapts a function to Policy. Return a *PolicyError to deny;
// wrap it with Named to give it a readable requirement inside Not.
type PolicyFunc func(ctx context.Context, c *Claims) error

// Check calls f.
func (f PolicyFunc) Check(ctx context.Context, c *Claims) error { return f(ctx, c) }

// describer is implemented by the policies of this package: it returns the
// requirement the policy stands for, as it appears in a PolicyError.
type describer interface {
	requirement() string
}

// describePolicy returns p's requirement, or a neutral text for a policy that
// cannot describe itself (a PolicyFunc).
func describePolicy(p Policy) string {
	if d, ok := p.(describer); ok {
		return d.requirement()
	}
	return "custom policy"
}

// scopeLister is implemented by policies that require every one of a fixed
// set of scopes, possibly among other requirements: RequireScopes, and All
// and Named over it. All uses it to name every scope a route needs.
type scopeLister interface {
	allOfScopes() []string
}

func allOfScopes(p Policy) []string {
	if l, ok := p.(scopeLister); ok {
		return l.allOfScopes()
	}
	return nil
}

// asPolicyError finds the *PolicyError in err, without allocating when err
// is one.
func asPolicyError(err error) (*PolicyError, bool) {
	if pe, ok := err.(*PolicyError); ok {
		return pe, true
	}
	var pe *PolicyError
	ok := errors.As(err, &pe)
	return pe, ok
}

// staticDenier is implemented by policies that deny with one fixed
// *PolicyError (most of them may also return others, such as a failure to
// decide; callers compare by identity).
type staticDenier interface {
	staticDenial() *PolicyError
}

func staticDenial(p Policy) *PolicyError {
	if d, ok := p.(staticDenier); ok {
		return d.staticDenial()
	}
	return nil
}

// isDenial reports whether err is a policy denial rather than a failure to
// decide.
func isDenial(err error) bool {
	if _, ok := err.(*PolicyError); ok {
		return true
	}
	return errors.Is(err, ErrForbidden)
}

// All allows a token that every one of ps allows. Policies are checked in
// order and the first denial is returned as is, except that when it is a
// scope denial its Scopes are widened to every scope that ps require with
// RequireScopes, so that the 403's scope= parameter names all of them. With
// a single policy, All returns it.
//
// All panics if ps is empty or holds a nil Policy: a route guarded by
// nothing must be written as no policy at all, not as an empty All.
func All(ps ...Policy) Policy {
	ps = checkPolicies("All", ps)
	if len(ps) == 1 {
		return ps[0]
	}
	a := &allPolicy{ps: ps, static: make([]*PolicyError, len(ps)), widened: make([]*PolicyError, len(ps))}
	for _, p := range ps {
		a.scopes = unionScopes(a.scopes, allOfScopes(p))
	}
	for i, p := range ps {
		if d := staticDenial(p); d != nil {
			a.static[i] = d
			if w, ok := a.widen(d).(*PolicyError); ok {
				a.widened[i] = w
			}
		}
	}
	return a
}

type allPolicy struct {
	ps     []Policy
	scopes []string // union of the children's all-of scopes
	// static[i] is the fixed denial of ps[i], if it has one, and
	// widened[i] the denial All returns for it: precomputed so that a
	// denial allocates nothing.
	static, widened []*PolicyError
}

func (a *allPolicy) Check(ctx context.Context, c *Claims) error {
	for i, p := range a.ps {
		if err := p.Check(ctx, c); err != nil {
			if s := a.static[i]; s != nil && err == error(s) {
				return a.widened[i]
			}
			return a.widen(err)
		}
	}
	return nil
}

// widen adds the other required scopes to a scope denial.
func (a *allPolicy) widen(err error) error {
	if len(a.scopes) == 0 {
		return err
	}
	pe, ok := asPolicyError(err)
	if !ok || len(pe.Scopes) == 0 {
		return err
	}
	scopes := unionScopes(append([]string(nil), pe.Scopes...), a.scopes)
	if len(scopes) == len(pe.Scopes) {
		return err
	}
	return &PolicyError{Requirement: pe.Requirement, Scopes: scopes}
}

func (a *allPolicy) requirement() string { return "all of (" + describeAll(a.ps) + ")" }

func (a *allPolicy) allOfScopes() []string { return a.scopes }

// Any allows a token that at least one of ps allows. Policies are checked
// in order and the first that allows wins. When none allows, the denial
// lists every alternative ("any of (A; B)") and its Scopes are the union of
// the alternatives' Scopes. If an alternative fails to decide (returns an
// error that does not match ErrForbidden) and no other allows, that error
// is returned instead of a denial. With a single policy, Any returns it.
//
// Any panics if ps is empty or holds a nil Policy.
func Any(ps ...Policy) Policy {
	ps = checkPolicies("Any", ps)
	if len(ps) == 1 {
		return ps[0]
	}
	a := &anyPolicy{ps: ps, static: make([]*PolicyError, len(ps))}
	errs := make([]error, len(ps))
	for i, p := range ps {
		a.static[i] = staticDenial(p)
		if a.static[i] == nil {
			return a
		}
		errs[i] = a.static[i]
	}
	a.denial = a.deny(errs)
	return a
}

type anyPolicy struct {
	ps []Policy
	// static[i] is the fixed denial of ps[i], if it has one; when all
	// have one, denial is the precomputed denial of Any.
	static []*PolicyError
	denial *PolicyError
}

func (a *anyPolicy) Check(ctx context.Context, c *Claims) error {
	var buf [8]error
	errs := buf[:0]
	var failed error
	allStatic := a.denial != nil
	for i, p := range a.ps {
		err := p.Check(ctx, c)
		if err == nil {
			return nil
		}
		if !isDenial(err) && failed == nil {
			failed = err
		}
		if allStatic && err != error(a.static[i]) {
			allStatic = false
		}
		errs = append(errs, err)
	}
	if failed != nil {
		return failed
	}
	if allStatic {
		return a.denial
	}
	return a.deny(errs)
}

// deny builds the denial from the alternatives' denials.
func (a *anyPolicy) deny(errs []error) *PolicyError {
	var b strings.Builder
	b.WriteString("any of (")
	var scopes []string
	for i, err := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		if pe, ok := asPolicyError(err); ok {
			b.WriteString(pe.Requirement)
			scopes = unionScopes(scopes, pe.Scopes)
		} else {
			b.WriteString(describePolicy(a.ps[i]))
		}
	}
	b.WriteString(")")
	return &PolicyError{Requirement: b.String(), Scopes: scopes}
}

func (a *anyPolicy) staticDenial() *PolicyError { return a.denial }

func (a *anyPolicy) requirement() string { return "any of (" + describeAll(a.ps) + ")" }

// Not allows a token that p denies, and denies one that p allows, with the
// requirement "not (<p's requirement>)". An error from p that is not a
// denial is returned as is: Not never turns a failure to decide into an
// allow. Not also denies when there are no claims (c is nil), so that an
// anonymous caller never passes a negated policy.
//
// Not panics if p is nil.
func Not(p Policy) Policy {
	checkPolicies("Not", []Policy{p})
	req := "not (" + describePolicy(p) + ")"
	return &notPolicy{p: p, req: req, err: &PolicyError{Requirement: req}}
}

type notPolicy struct {
	p   Policy
	req string
	err *PolicyError
}

func (n *notPolicy) Check(ctx context.Context, c *Claims) error {
	if c == nil {
		return n.err
	}
	err := n.p.Check(ctx, c)
	switch {
	case err == nil:
		return n.err
	case isDenial(err):
		return nil
	default:
		return err
	}
}

func (n *notPolicy) requirement() string { return n.req }

func (n *notPolicy) staticDenial() *PolicyError { return n.err }

// Named gives p a requirement text for denials and for the combinators'
// descriptions, for example to describe a PolicyFunc or to shorten a long
// Any in logs:
//
//	authz.Named("billing admin", authz.Any(authz.RequireRoles("billing"), authz.RequireRoles("admin")))
//
// A denial from p is returned as a *PolicyError with this Requirement and
// p's Scopes; any other error is returned as is. Named panics if p is nil
// or requirement is empty.
func Named(requirement string, p Policy) Policy {
	checkPolicies("Named", []Policy{p})
	if requirement == "" {
		panic("authz: Named with an empty requirement")
	}
	var scopes []string
	if d := staticDenial(p); d != nil {
		scopes = d.Scopes
	}
	return &namedPolicy{p: p, req: requirement, err: &PolicyError{Requirement: requirement, Scopes: scopes}}
}

type namedPolicy struct {
	p   Policy
	req string
	err *PolicyError
}

func (n *namedPolicy) Check(ctx context.Context, c *Claims) error {
	err := n.p.Check(ctx, c)
	if err == nil || !isDenial(err) {
		return err
	}
	var scopes []string
	if pe, ok := asPolicyError(err); ok {
		scopes = pe.Scopes
	}
	if sameScopes(scopes, n.err.Scopes) {
		return n.err
	}
	return &PolicyError{Requirement: n.req, Scopes: scopes}
}

func (n *namedPolicy) requirement() string { return n.req }

func (n *namedPolicy) staticDenial() *PolicyError { return n.err }

func (n *namedPolicy) allOfScopes() []string { return allOfScopes(n.p) }

func checkPolicies(fn string, ps []Policy) []Policy {
	if len(ps) == 0 {
		panic("authz: " + fn + " needs at least one policy")
	}
	for i, p := range ps {
		if p == nil {
			panic("authz: " + fn + ": policy " + strconv.Itoa(i) + " is nil")
		}
	}
	return append([]Policy(nil), ps...)
}

func describeAll(ps []Policy) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(describePolicy(p))
	}
	return b.String()
}

// unionScopes appends to dst the scopes of add it does not hold yet.
func unionScopes(dst, add []string) []string {
outer:
	for _, s := range add {
		for _, d := range dst {
			if d == s {
				continue outer
			}
		}
		dst = append(dst, s)
	}
	return dst
}

func sameScopes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// quoteList formats required values for a requirement text: "a" "b".
func quoteList(vs []string) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

// listRequirement formats a requirement on a set of values: `role "a"`,
// `roles "a" "b"` (all of them) or `any role of "a" "b"`.
func listRequirement(noun string, vs []string, anyOf bool) string {
	switch {
	case len(vs) == 1:
		return noun + " " + quoteList(vs)
	case anyOf:
		return "any " + noun + " of " + quoteList(vs)
	default:
		return noun + "s " + quoteList(vs)
	}
}
