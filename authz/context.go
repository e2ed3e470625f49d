package authz

import "context"

type claimsKey struct{}

// ContextWithClaims returns a copy of ctx holding c: every adapter stores
// the claims of the request it authorized this way, so ClaimsFromContext
// reads them whatever the router (net/http, chi, echo, gin, gRPC).
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFromContext returns the claims an adapter stored in ctx: those of
// the token the request was authorized with. ok is false for a request
// that passed anonymously (an optional route) or through no adapter.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
