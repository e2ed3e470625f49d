package authz

import (
	"context"
	"strings"
)

// Policy decides whether a verified token may use a route. Check returns
// nil to allow, or an error matching ErrForbidden (usually *PolicyError) to
// deny. ctx carries request details an adapter adds (see the adapters'
// docs); a policy must not block.
type Policy interface {
	Check(ctx context.Context, c *Claims) error
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(ctx context.Context, c *Claims) error

// Check calls f.
func (f PolicyFunc) Check(ctx context.Context, c *Claims) error { return f(ctx, c) }

// RequireScopes allows a token that grants every one of scopes, compared
// exactly (case-sensitive whole scope tokens, RFC 6749 §3.3). The denial
// lists all required scopes, for the scope= parameter of the 403 challenge.
func RequireScopes(scopes ...string) Policy {
	req := append([]string(nil), scopes...)
	return &scopePolicy{required: req, err: &PolicyError{
		Requirement: "scopes " + strings.Join(req, " "),
		Scopes:      req,
	}}
}

type scopePolicy struct {
	required []string
	err      *PolicyError
}

func (p *scopePolicy) Check(_ context.Context, c *Claims) error {
	for _, s := range p.required {
		if !c.HasScope(s) {
			return p.err
		}
	}
	return nil
}
