package authz

import (
	"context"
)

// TenantSource says which tenant a request acts in, for the tenant
// policies: it returns the tenant ID and true, or false when there is none
// (then every tenant policy denies). Use RequestTenant for a tenant the
// adapter or an earlier middleware took from the request (a path
// parameter, a header) and put in the context with WithTenant, or
// TenantFromClaim for a tenant named by the token itself (Descope's dct).
//
// A TenantSource is called on every check and must not block.
type TenantSource func(ctx context.Context, c *Claims) (tenantID string, ok bool)

// tenantContextKey is the type of the context key of the request's tenant.
type tenantContextKey struct{ name string }

var tenantKey = &tenantContextKey{"tenant"}

// WithTenant returns a copy of ctx that carries the ID of the tenant the
// request acts in, for RequestTenant and TenantFromContext. Adapters and
// middleware call it with a value from the request, such as a path
// parameter; an empty id means no tenant.
func WithTenant(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantKey, id)
}

// TenantFromContext returns the tenant ID that WithTenant put in ctx, and
// whether there is a non-empty one.
func TenantFromContext(ctx context.Context) (string, bool) {
	id, _ := ctx.Value(tenantKey).(string)
	return id, id != ""
}

// RequestTenant is a TenantSource that returns the tenant WithTenant put in
// the request's context. The token's own claims do not influence it.
func RequestTenant(ctx context.Context, _ *Claims) (string, bool) {
	return TenantFromContext(ctx)
}

// TenantFromClaim returns a TenantSource that reads the tenant ID from the
// string claim at path, such as Descope's current-tenant claim:
// TenantFromClaim("dct"). A missing, empty or non-string claim means no
// tenant. It panics if path is empty or has an empty element.
func TenantFromClaim(path ...string) TenantSource {
	sel := Claim(path...)
	return func(_ context.Context, c *Claims) (string, bool) {
		if c == nil {
			return "", false
		}
		v, _ := c.Lookup(sel.path...)
		id, _ := v.(string)
		return id, id != ""
	}
}

// TenantRoles allows a token that holds every one of roles in the tenant
// that source names, read from Descope's tenants claim:
// tenants.<tenantID>.roles. Roles held in another tenant, or at the top
// level, never count, and a request with no tenant is denied. The denial
// names the roles, never the tenant ID (which may come from the token). It
// panics if source is nil, or roles is empty or holds an empty string.
func TenantRoles(source TenantSource, roles ...string) Policy {
	return newTenantPolicy("TenantRoles", source, "roles", "tenant role", roles)
}

// TenantPermissions allows a token that holds every one of perms in the
// tenant that source names (tenants.<tenantID>.permissions). Like
// TenantRoles, grants in other tenants never count. It panics if source is
// nil, or perms is empty or holds an empty string.
func TenantPermissions(source TenantSource, perms ...string) Policy {
	return newTenantPolicy("TenantPermissions", source, "permissions", "tenant permission", perms)
}

// TenantMember allows a token whose tenants claim has an entry for the
// tenant that source names, whatever roles it holds there: the caller
// belongs to the tenant. It panics if source is nil.
func TenantMember(source TenantSource) Policy {
	if source == nil {
		panic("authz: TenantMember needs a TenantSource")
	}
	text := "tenant membership"
	return &tenantPolicy{source: source, text: text, err: &PolicyError{Requirement: text}}
}

func newTenantPolicy(fn string, source TenantSource, field, noun string, vs []string) Policy {
	if source == nil {
		panic("authz: " + fn + " needs a TenantSource")
	}
	vs = checkValues(fn, vs)
	text := listRequirement(noun, vs, false)
	return &tenantPolicy{source: source, field: field, values: vs, text: text, err: &PolicyError{Requirement: text}}
}

type tenantPolicy struct {
	source TenantSource
	field  string   // "roles" or "permissions"; "" checks membership only
	values []string // all required
	text   string
	err    *PolicyError
}

func (p *tenantPolicy) Check(ctx context.Context, c *Claims) error {
	if c == nil {
		return p.err
	}
	id, ok := p.source(ctx, c)
	if !ok || id == "" {
		return p.err
	}
	v, found := c.Lookup("tenants", id)
	t, isObj := v.(map[string]any)
	if !found || !isObj {
		return p.err
	}
	if p.field == "" {
		return nil
	}
	if !containsAll(t[p.field], p.values) {
		return p.err
	}
	return nil
}

func (p *tenantPolicy) requirement() string { return p.text }

func (p *tenantPolicy) staticDenial() *PolicyError { return p.err }
