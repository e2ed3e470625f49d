package authz_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// polEnv mints tokens with chosen claims and validates them, so policy
// tests run on real *authz.Claims.
type polEnv struct {
	iss *authztest.Issuer
	v   *authz.Validator
}

// newPolEnv starts a test issuer; amend changes its authz.Issuer settings
// (for example ScopeClaims) before the Validator is built.
func newPolEnv(t testing.TB, amend ...func(*authz.Issuer)) *polEnv {
	t.Helper()
	iss := authztest.NewT(t)
	cfg := iss.OIDC("api")
	for _, f := range amend {
		f(&cfg)
	}
	v, err := authz.New([]authz.Issuer{cfg}, authz.WithoutBackground())
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return &polEnv{iss: iss, v: v}
}

// claims mints a token whose payload is the standard claims plus extra (a
// JSON object; numbers keep their exact digits) and returns its validated
// claims.
func (e *polEnv) claims(t testing.TB, extra string) *authz.Claims {
	t.Helper()
	m := e.iss.Claims("user-1", "api")
	if extra != "" {
		d := json.NewDecoder(strings.NewReader(extra))
		d.UseNumber()
		var add map[string]any
		if err := d.Decode(&add); err != nil {
			t.Fatalf("bad test claims %s: %v", extra, err)
		}
		for k, v := range add {
			m[k] = v
		}
	}
	c, err := e.v.Validate(context.Background(), e.iss.MustMint(t, m))
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return c
}

// polCase is one row of the policy tables.
type polCase struct {
	name    string
	claims  string // JSON object added to the standard claims
	tenant  string // put in ctx with authz.WithTenant when not empty
	policy  authz.Policy
	wantErr bool
	// wantReq, when set, is the expected PolicyError.Requirement.
	wantReq string
	// wantScopes, when not nil, is the expected PolicyError.Scopes.
	wantScopes []string
}

func runPolicyTable(t *testing.T, env *polEnv, cases []polCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := env.claims(t, tc.claims)
			ctx := context.Background()
			if tc.tenant != "" {
				ctx = authz.WithTenant(ctx, tc.tenant)
			}
			err := tc.policy.Check(ctx, c)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Check = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, authz.ErrForbidden) {
				t.Fatalf("denial %v does not match ErrForbidden", err)
			}
			var pe *authz.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("denial %T is not a *PolicyError", err)
			}
			if tc.wantReq != "" && pe.Requirement != tc.wantReq {
				t.Errorf("Requirement = %q, want %q", pe.Requirement, tc.wantReq)
			}
			if tc.wantScopes != nil && fmt.Sprint(pe.Scopes) != fmt.Sprint(tc.wantScopes) {
				t.Errorf("Scopes = %q, want %q", pe.Scopes, tc.wantScopes)
			}
		})
	}
}

func TestPolicyScopes(t *testing.T) {
	env := newPolEnv(t)
	rw := authz.RequireScopes("read:messages", "write:messages")
	runPolicyTable(t, env, []polCase{
		{name: "exact all granted", claims: `{"scope":"openid read:messages write:messages"}`, policy: rw},
		{name: "exact one missing", claims: `{"scope":"read:messages"}`, policy: rw, wantErr: true,
			wantReq: `scopes "read:messages" "write:messages"`, wantScopes: []string{"read:messages", "write:messages"}},
		{name: "exact no scope claim", claims: `{}`, policy: rw, wantErr: true},
		{name: "exact empty scope string", claims: `{"scope":""}`, policy: authz.RequireScopes("read"), wantErr: true},
		{name: "exact is case-sensitive", claims: `{"scope":"Read:Messages"}`, policy: authz.RequireScopes("read:messages"), wantErr: true},
		{name: "exact whole tokens, no prefix", claims: `{"scope":"read:messages"}`, policy: authz.RequireScopes("read"), wantErr: true},
		{name: "exact parent does not grant child", claims: `{"scope":"read"}`, policy: authz.RequireScopes("read:messages"), wantErr: true},
		{name: "exact no substring", claims: `{"scope":"xread:messagesx"}`, policy: authz.RequireScopes("read:messages"), wantErr: true},
		{name: "scp array (Okta)", claims: `{"scp":["openid","flights"]}`, policy: authz.RequireScopes("flights")},
		{name: "scp string (Entra)", claims: `{"scp":"access_as_user"}`, policy: authz.RequireScopes("access_as_user")},
		{name: "scope and scp merged", claims: `{"scope":"a","scp":["b"]}`, policy: authz.RequireScopes("a", "b")},
		{name: "permissions not a scope claim by default", claims: `{"permissions":["read:messages"]}`, policy: authz.RequireScopes("read:messages"), wantErr: true},
		{name: "single scope requirement text", claims: `{}`, policy: authz.RequireScopes("write:messages"), wantErr: true,
			wantReq: `scope "write:messages"`, wantScopes: []string{"write:messages"}},
		{name: "duplicates collapse", claims: `{}`, policy: authz.RequireScopes("a", "a", "b"), wantErr: true,
			wantReq: `scopes "a" "b"`, wantScopes: []string{"a", "b"}},

		{name: "any: one granted", claims: `{"scope":"write:messages"}`, policy: authz.RequireAnyScope("read:messages", "write:messages")},
		{name: "any: none granted", claims: `{"scope":"admin"}`, policy: authz.RequireAnyScope("read:messages", "write:messages"), wantErr: true,
			wantReq: `any scope of "read:messages" "write:messages"`, wantScopes: []string{"read:messages", "write:messages"}},
		{name: "any: single", claims: `{"scope":"a"}`, policy: authz.RequireAnyScope("a")},

		{name: "hierarchic: parent grants child", claims: `{"scope":"read"}`, policy: authz.Hierarchic.RequireScopes("read:messages")},
		{name: "hierarchic: grants grandchild", claims: `{"scope":"read"}`, policy: authz.Hierarchic.RequireScopes("read:messages:own")},
		{name: "hierarchic: mid level grants below", claims: `{"scope":"read:messages"}`, policy: authz.Hierarchic.RequireScopes("read:messages:own")},
		{name: "hierarchic: equal grants", claims: `{"scope":"read:messages"}`, policy: authz.Hierarchic.RequireScopes("read:messages")},
		{name: "hierarchic: child does not grant parent", claims: `{"scope":"read:messages"}`, policy: authz.Hierarchic.RequireScopes("read"), wantErr: true},
		{name: "hierarchic: not a plain prefix", claims: `{"scope":"read"}`, policy: authz.Hierarchic.RequireScopes("readonly"), wantErr: true},
		{name: "hierarchic: colon only separator", claims: `{"scope":"read"}`, policy: authz.Hierarchic.RequireScopes("read.messages"), wantErr: true},
		{name: "hierarchic: sibling", claims: `{"scope":"read:messages"}`, policy: authz.Hierarchic.RequireScopes("read:users"), wantErr: true},
		{name: "hierarchic: case-sensitive", claims: `{"scope":"Read"}`, policy: authz.Hierarchic.RequireScopes("read:messages"), wantErr: true},
		{name: "hierarchic: wildcard is literal", claims: `{"scope":"read:*"}`, policy: authz.Hierarchic.RequireScopes("read:messages"), wantErr: true},
		{name: "hierarchic: all of two", claims: `{"scope":"read write:messages"}`, policy: authz.Hierarchic.RequireScopes("read:a", "write:messages:own")},
		{name: "hierarchic: any of", claims: `{"scp":["admin"]}`, policy: authz.Hierarchic.RequireAnyScope("read:a", "admin:users")},
		{name: "hierarchic: denial text", claims: `{}`, policy: authz.Hierarchic.RequireScopes("read:a"), wantErr: true,
			wantReq: `scope "read:a" (hierarchic)`, wantScopes: []string{"read:a"}},
		{name: "exact strategy explicit", claims: `{"scope":"read"}`, policy: authz.Exact.RequireScopes("read:messages"), wantErr: true,
			wantReq: `scope "read:messages"`},

		{name: "wildcard: star grants segment", claims: `{"scope":"messages:*"}`, policy: authz.Wildcard.RequireScopes("messages:read")},
		{name: "wildcard: star grants deeper", claims: `{"scope":"messages:*"}`, policy: authz.Wildcard.RequireScopes("messages:read:own")},
		{name: "wildcard: nested star", claims: `{"scope":"messages:read:*"}`, policy: authz.Wildcard.RequireScopes("messages:read:own")},
		{name: "wildcard: not the bare prefix", claims: `{"scope":"messages:*"}`, policy: authz.Wildcard.RequireScopes("messages"), wantErr: true},
		{name: "wildcard: not another prefix", claims: `{"scope":"messages:*"}`, policy: authz.Wildcard.RequireScopes("messagesx:read"), wantErr: true},
		{name: "wildcard: bare star grants nothing", claims: `{"scope":"*"}`, policy: authz.Wildcard.RequireScopes("messages:read"), wantErr: true},
		{name: "wildcard: bare star equals star", claims: `{"scope":"*"}`, policy: authz.Wildcard.RequireScopes("*")},
		{name: "wildcard: colon star alone grants nothing", claims: `{"scope":":*"}`, policy: authz.Wildcard.RequireScopes(":read"), wantErr: true},
		{name: "wildcard: star mid-scope is literal", claims: `{"scope":"messages:*:own"}`, policy: authz.Wildcard.RequireScopes("messages:read:own"), wantErr: true},
		{name: "wildcard: suffix star without colon literal", claims: `{"scope":"messages*"}`, policy: authz.Wildcard.RequireScopes("messages:read"), wantErr: true},
		{name: "wildcard: no hierarchy", claims: `{"scope":"messages"}`, policy: authz.Wildcard.RequireScopes("messages:read"), wantErr: true},
		{name: "wildcard: exact still works", claims: `{"scope":"messages:read"}`, policy: authz.Wildcard.RequireScopes("messages:read")},
		{name: "wildcard: any of", claims: `{"scope":"users:*"}`, policy: authz.Wildcard.RequireAnyScope("messages:read", "users:delete")},
		{name: "wildcard: denial text", claims: `{"scope":"users:*"}`, policy: authz.Wildcard.RequireScopes("messages:read"), wantErr: true,
			wantReq: `scope "messages:read" (wildcard)`, wantScopes: []string{"messages:read"}},
		{name: "exact: star is literal", claims: `{"scope":"messages:*"}`, policy: authz.RequireScopes("messages:read"), wantErr: true},
	})
}

// Scopes come from the claims the issuer's ScopeClaims name: Auth0's RBAC
// permissions array satisfies a scope policy when configured so.
func TestPolicyScopesFromIssuerClaims(t *testing.T) {
	env := newPolEnv(t, func(is *authz.Issuer) { is.ScopeClaims = []string{"scope", "permissions"} })
	runPolicyTable(t, env, []polCase{
		{name: "permissions array", claims: `{"permissions":["read:patients"]}`, policy: authz.RequireScopes("read:patients")},
		{name: "scope and permissions", claims: `{"scope":"openid","permissions":["read:patients"]}`, policy: authz.RequireScopes("openid", "read:patients")},
		{name: "scp no longer read", claims: `{"scp":"read:patients"}`, policy: authz.RequireScopes("read:patients"), wantErr: true},
	})
}

func TestScopeMatchingGrants(t *testing.T) {
	tests := []struct {
		m                 authz.ScopeMatching
		granted, required string
		want              bool
	}{
		{authz.Exact, "a", "a", true},
		{authz.Exact, "a", "a:b", false},
		{authz.Exact, "", "", false},
		{0, "a", "a", true},
		{0, "a", "a:b", false},
		{authz.Hierarchic, "a", "a:b", true},
		{authz.Hierarchic, "a", "a:", true},
		{authz.Hierarchic, "a:b", "a", false},
		{authz.Hierarchic, "a", "ab", false},
		{authz.Hierarchic, "", ":a", false},
		{authz.Hierarchic, "", "", false},
		{authz.Wildcard, "a:*", "a:b", true},
		{authz.Wildcard, "a:*", "a:b:c", true},
		{authz.Wildcard, "a:*", "a:", false},
		{authz.Wildcard, "a:*", "a", false},
		{authz.Wildcard, "a:*", "a:*", true},
		{authz.Wildcard, "*", "a", false},
		{authz.Wildcard, ":*", ":a", false},
		{authz.Wildcard, "a*", "ab", false},
	}
	for _, tc := range tests {
		if got := tc.m.Grants(tc.granted, tc.required); got != tc.want {
			t.Errorf("%v.Grants(%q, %q) = %v, want %v", tc.m, tc.granted, tc.required, got, tc.want)
		}
	}
	for m, want := range map[authz.ScopeMatching]string{0: "exact", authz.Exact: "exact", authz.Hierarchic: "hierarchic", authz.Wildcard: "wildcard", 9: "ScopeMatching(9)"} {
		if got := m.String(); got != want {
			t.Errorf("ScopeMatching(%d).String() = %q, want %q", m, got, want)
		}
	}
}

func TestPolicyClaims(t *testing.T) {
	env := newPolEnv(t)
	admin := authz.Claim("roles").Contains("admin")
	runPolicyTable(t, env, []polCase{
		// Contains: arrays vs strings, missing, wrong types.
		{name: "contains: array", claims: `{"roles":["user","admin"]}`, policy: admin},
		{name: "contains: array without", claims: `{"roles":["user"]}`, policy: admin, wantErr: true,
			wantReq: `claim roles contains "admin"`, wantScopes: []string{}},
		{name: "contains: space-delimited string", claims: `{"roles":"user admin"}`, policy: admin},
		{name: "contains: single string", claims: `{"roles":"admin"}`, policy: admin},
		{name: "contains: no substring of a word", claims: `{"roles":"administrator"}`, policy: admin, wantErr: true},
		{name: "contains: case-sensitive", claims: `{"roles":["Admin"]}`, policy: admin, wantErr: true},
		{name: "contains: value with a space matches whole string", claims: `{"group":"Tenant Admin"}`, policy: authz.Claim("group").Contains("Tenant Admin")},
		{name: "contains: value with a space in array", claims: `{"roles":["Tenant Admin"]}`, policy: authz.Claim("roles").Contains("Tenant Admin")},
		{name: "contains: words do not join", claims: `{"roles":["Tenant","Admin"]}`, policy: authz.Claim("roles").Contains("Tenant Admin"), wantErr: true},
		{name: "contains: missing", claims: `{}`, policy: admin, wantErr: true},
		{name: "contains: null", claims: `{"roles":null}`, policy: admin, wantErr: true},
		{name: "contains: number where array expected", claims: `{"roles":1}`, policy: authz.Claim("roles").Contains("1"), wantErr: true},
		{name: "contains: numbers in array are skipped", claims: `{"roles":[1,"admin"]}`, policy: admin},
		{name: "contains: number element never matches", claims: `{"roles":[1]}`, policy: authz.Claim("roles").Contains("1"), wantErr: true},
		{name: "contains: bool", claims: `{"roles":true}`, policy: authz.Claim("roles").Contains("true"), wantErr: true},
		{name: "contains: object", claims: `{"roles":{"admin":true}}`, policy: admin, wantErr: true},
		{name: "contains: nested array not searched", claims: `{"roles":[["admin"]]}`, policy: admin, wantErr: true},
		{name: "contains: all of", claims: `{"roles":["a","b","c"]}`, policy: authz.Claim("roles").Contains("a", "c")},
		{name: "contains: all of, one missing", claims: `{"roles":["a","b"]}`, policy: authz.Claim("roles").Contains("a", "c"), wantErr: true,
			wantReq: `claim roles contains all of "a" "c"`},
		{name: "contains any: one", claims: `{"roles":"b"}`, policy: authz.Claim("roles").ContainsAny("a", "b")},
		{name: "contains any: none", claims: `{"roles":["c"]}`, policy: authz.Claim("roles").ContainsAny("a", "b"), wantErr: true,
			wantReq: `claim roles contains any of "a" "b"`},

		// Equals and OneOf.
		{name: "equals: string", claims: `{"org_id":"org_1"}`, policy: authz.Claim("org_id").Equals("org_1")},
		{name: "equals: string differs", claims: `{"org_id":"org_2"}`, policy: authz.Claim("org_id").Equals("org_1"), wantErr: true,
			wantReq: `claim org_id equals "org_1"`},
		{name: "equals: string vs number", claims: `{"ver":2}`, policy: authz.Claim("ver").Equals("2"), wantErr: true},
		{name: "equals: number vs string", claims: `{"ver":"2"}`, policy: authz.Claim("ver").Equals(2), wantErr: true},
		{name: "equals: int", claims: `{"ver":2}`, policy: authz.Claim("ver").Equals(2)},
		{name: "equals: int vs 2.0", claims: `{"ver":2.0}`, policy: authz.Claim("ver").Equals(2)},
		{name: "equals: int vs 2e0", claims: `{"ver":2e0}`, policy: authz.Claim("ver").Equals(uint8(2))},
		{name: "equals: float", claims: `{"ver":1.5}`, policy: authz.Claim("ver").Equals(1.5)},
		{name: "equals: float differs", claims: `{"ver":1.25}`, policy: authz.Claim("ver").Equals(1.5), wantErr: true},
		{name: "equals: big ints exact", claims: `{"n":9007199254740993}`, policy: authz.Claim("n").Equals(int64(9007199254740993))},
		{name: "equals: big ints differ", claims: `{"n":9007199254740993}`, policy: authz.Claim("n").Equals(int64(9007199254740992)), wantErr: true},
		{name: "equals: json.Number", claims: `{"ver":"x","n":10}`, policy: authz.Claim("n").Equals(json.Number("10"))},
		{name: "equals: bool", claims: `{"email_verified":true}`, policy: authz.Claim("email_verified").Equals(true)},
		{name: "equals: bool vs string", claims: `{"email_verified":"true"}`, policy: authz.Claim("email_verified").Equals(true), wantErr: true,
			wantReq: `claim email_verified equals true`},
		{name: "equals: array holding value", claims: `{"org_id":["org_1"]}`, policy: authz.Claim("org_id").Equals("org_1"), wantErr: true},
		{name: "equals: missing", claims: `{}`, policy: authz.Claim("org_id").Equals("org_1"), wantErr: true},
		{name: "one of: match", claims: `{"hd":"example.com"}`, policy: authz.Claim("hd").OneOf("example.org", "example.com")},
		{name: "one of: no match", claims: `{"hd":"evil.com"}`, policy: authz.Claim("hd").OneOf("example.org", "example.com"), wantErr: true,
			wantReq: `claim hd one of "example.org" "example.com"`},
		{name: "one of: mixed types", claims: `{"ver":1}`, policy: authz.Claim("ver").OneOf("1", 1)},
		{name: "one of: array is not a scalar", claims: `{"hd":["example.com"]}`, policy: authz.Claim("hd").OneOf("example.com"), wantErr: true},

		// Present.
		{name: "present: string", claims: `{"org_id":"x"}`, policy: authz.Claim("org_id").Present()},
		{name: "present: empty string", claims: `{"org_id":""}`, policy: authz.Claim("org_id").Present()},
		{name: "present: false", claims: `{"flag":false}`, policy: authz.Claim("flag").Present()},
		{name: "present: missing", claims: `{}`, policy: authz.Claim("org_id").Present(), wantErr: true, wantReq: `claim org_id present`},
		{name: "present: null", claims: `{"org_id":null}`, policy: authz.Claim("org_id").Present(), wantErr: true},
		{name: "present: standard claim", claims: `{}`, policy: authz.Claim("sub").Present()},

		// Nested paths.
		{name: "nested: keycloak realm roles", claims: `{"realm_access":{"roles":["admin"]}}`, policy: authz.Claim("realm_access", "roles").Contains("admin")},
		{name: "nested: dotted path", claims: `{"realm_access":{"roles":["admin"]}}`, policy: authz.ClaimPath("realm_access.roles").Contains("admin"),
			wantReq: ``},
		{name: "nested: dotted path denial text", claims: `{}`, policy: authz.ClaimPath("realm_access.roles").Contains("admin"), wantErr: true,
			wantReq: `claim realm_access.roles contains "admin"`},
		{name: "nested: through an array", claims: `{"realm_access":[{"roles":["admin"]}]}`, policy: authz.Claim("realm_access", "roles").Contains("admin"), wantErr: true},
		{name: "nested: through a string", claims: `{"realm_access":"admin"}`, policy: authz.Claim("realm_access", "roles").Contains("admin"), wantErr: true},
		{name: "nested: deep equals", claims: `{"a":{"b":{"c":"d"}}}`, policy: authz.ClaimPath("a.b.c").Equals("d")},
		{name: "nested: object present", claims: `{"a":{"b":{}}}`, policy: authz.ClaimPath("a.b").Present()},
		{name: "nested: a top-level claim with a dot is not a path", claims: `{"a.b":"x"}`, policy: authz.ClaimPath("a.b").Present(), wantErr: true},
		{name: "nested: name with a dot via Claim", claims: `{"a.b":"x"}`, policy: authz.Claim("a.b").Equals("x")},

		// Auth0 namespaced claims.
		{name: "auth0 namespaced", claims: `{"https://example.com/roles":["admin"]}`, policy: authz.Claim("https://example.com/roles").Contains("admin")},
		{name: "auth0 namespaced denial text", claims: `{}`, policy: authz.Claim("https://example.com/roles").Contains("admin"), wantErr: true,
			wantReq: `claim "https://example.com/roles" contains "admin"`},
		{name: "auth0 namespaced not split by ClaimPath", claims: `{"https://example.com/roles":["admin"]}`, policy: authz.ClaimPath("https://example.com/roles").Contains("admin"), wantErr: true},
	})
}

func TestPolicyRoles(t *testing.T) {
	env := newPolEnv(t)
	descope := `{"roles":["Tenant Admin"],"permissions":["User Admin"],"dct":"T1","tenants":{"T1":{"roles":["admin"],"permissions":["read"]}}}`
	keycloak := `{"realm_access":{"roles":["offline_access","admin"]},"resource_access":{"realm-management":{"roles":["manage-users"]},"account":{"roles":["manage-account","view-profile"]}}}`
	runPolicyTable(t, env, []polCase{
		{name: "roles: entra array", claims: `{"roles":["Task.Write","Task.Read"]}`, policy: authz.RequireRoles("Task.Read")},
		{name: "roles: all of", claims: `{"roles":["a","b"]}`, policy: authz.RequireRoles("a", "b")},
		{name: "roles: all of, one missing", claims: `{"roles":["a"]}`, policy: authz.RequireRoles("a", "b"), wantErr: true, wantReq: `roles "a" "b"`},
		{name: "roles: single text", claims: `{}`, policy: authz.RequireRoles("admin"), wantErr: true, wantReq: `role "admin"`},
		{name: "roles: string claim", claims: `{"roles":"a b"}`, policy: authz.RequireRoles("b")},
		{name: "roles: wrong type", claims: `{"roles":{"a":1}}`, policy: authz.RequireRoles("a"), wantErr: true},
		{name: "roles: descope project level", claims: descope, policy: authz.RequireRoles("Tenant Admin")},
		{name: "roles: tenant roles are not top-level", claims: descope, policy: authz.RequireRoles("admin"), wantErr: true},
		{name: "any role: one", claims: `{"roles":["b"]}`, policy: authz.RequireAnyRole("a", "b")},
		{name: "any role: none", claims: `{"roles":["c"]}`, policy: authz.RequireAnyRole("a", "b"), wantErr: true, wantReq: `any role of "a" "b"`},
		{name: "permissions: auth0 rbac", claims: `{"permissions":["read:patients","write:patients"]}`, policy: authz.RequirePermissions("read:patients", "write:patients")},
		{name: "permissions: missing one", claims: `{"permissions":["read:patients"]}`, policy: authz.RequirePermissions("read:patients", "write:patients"), wantErr: true,
			wantReq: `permissions "read:patients" "write:patients"`},
		{name: "permissions: roles do not count", claims: `{"roles":["read"]}`, policy: authz.RequirePermissions("read"), wantErr: true},
		{name: "permissions: descope project level", claims: descope, policy: authz.RequirePermissions("User Admin")},
		{name: "permissions: descope tenant perms are not top-level", claims: descope, policy: authz.RequirePermissions("read"), wantErr: true},
		{name: "any permission", claims: `{"permissions":["b"]}`, policy: authz.RequireAnyPermission("a", "b")},
		{name: "any permission: none", claims: `{"permissions":[]}`, policy: authz.RequireAnyPermission("a", "b"), wantErr: true, wantReq: `any permission of "a" "b"`},

		{name: "keycloak realm role", claims: keycloak, policy: authz.KeycloakRealmRoles("admin")},
		{name: "keycloak realm roles all of", claims: keycloak, policy: authz.KeycloakRealmRoles("admin", "offline_access")},
		{name: "keycloak realm role missing", claims: keycloak, policy: authz.KeycloakRealmRoles("manage-users"), wantErr: true, wantReq: `realm role "manage-users"`},
		{name: "keycloak realm role no realm_access", claims: `{"roles":["admin"]}`, policy: authz.KeycloakRealmRoles("admin"), wantErr: true},
		{name: "keycloak client role", claims: keycloak, policy: authz.KeycloakClientRoles("realm-management", "manage-users")},
		{name: "keycloak client roles all of", claims: keycloak, policy: authz.KeycloakClientRoles("account", "manage-account", "view-profile")},
		{name: "keycloak client role of another client", claims: keycloak, policy: authz.KeycloakClientRoles("account", "manage-users"), wantErr: true,
			wantReq: `client "account" role "manage-users"`},
		{name: "keycloak client role, client absent", claims: keycloak, policy: authz.KeycloakClientRoles("api", "admin"), wantErr: true},
		{name: "keycloak realm role is not a client role", claims: keycloak, policy: authz.KeycloakClientRoles("account", "admin"), wantErr: true},
		{name: "keycloak client with a dot", claims: `{"resource_access":{"my.api":{"roles":["x"]}}}`, policy: authz.KeycloakClientRoles("my.api", "x")},
		{name: "keycloak client roles plural text", claims: `{}`, policy: authz.KeycloakClientRoles("api", "a", "b"), wantErr: true,
			wantReq: `client "api" roles "a" "b"`},
	})
}

func TestPolicyTenants(t *testing.T) {
	env := newPolEnv(t)
	tok := `{"dct":"A","roles":["owner"],"permissions":["top"],"tenants":{
		"A":{"roles":["admin","editor"],"permissions":["read"]},
		"B":{"roles":["owner"],"permissions":["write"]},
		"acme.eu":{"roles":["admin"]},
		"E":{}}}`
	dct := authz.TenantFromClaim("dct")
	req := authz.RequestTenant
	runPolicyTable(t, env, []polCase{
		{name: "request tenant: role held", claims: tok, tenant: "A", policy: authz.TenantRoles(req, "admin")},
		{name: "request tenant: all roles held", claims: tok, tenant: "A", policy: authz.TenantRoles(req, "admin", "editor")},
		{name: "request tenant: role only in other tenant", claims: tok, tenant: "A", policy: authz.TenantRoles(req, "owner"), wantErr: true,
			wantReq: `tenant role "owner"`},
		{name: "request tenant: isolation the other way", claims: tok, tenant: "B", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: one of two roles missing", claims: tok, tenant: "A", policy: authz.TenantRoles(req, "admin", "owner"), wantErr: true,
			wantReq: `tenant roles "admin" "owner"`},
		{name: "request tenant: top-level roles do not count", claims: tok, tenant: "E", policy: authz.TenantRoles(req, "owner"), wantErr: true},
		{name: "request tenant: no tenant in context", claims: tok, policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: token not in tenant", claims: tok, tenant: "C", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: dotted tenant ID", claims: tok, tenant: "acme.eu", policy: authz.TenantRoles(req, "admin")},
		{name: "request tenant: dct does not matter", claims: tok, tenant: "B", policy: authz.TenantRoles(req, "owner")},
		{name: "request tenant: no tenants claim", claims: `{"roles":["admin"]}`, tenant: "A", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: tenants wrong type", claims: `{"tenants":["A"]}`, tenant: "A", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: tenant entry wrong type", claims: `{"tenants":{"A":"admin"}}`, tenant: "A", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: roles wrong type", claims: `{"tenants":{"A":{"roles":7}}}`, tenant: "A", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: roles missing", claims: tok, tenant: "E", policy: authz.TenantRoles(req, "admin"), wantErr: true},
		{name: "request tenant: permission", claims: tok, tenant: "A", policy: authz.TenantPermissions(req, "read")},
		{name: "request tenant: permission in other tenant", claims: tok, tenant: "A", policy: authz.TenantPermissions(req, "write"), wantErr: true,
			wantReq: `tenant permission "write"`},
		{name: "request tenant: role is not a permission", claims: tok, tenant: "A", policy: authz.TenantPermissions(req, "admin"), wantErr: true},
		{name: "request tenant: top-level permission does not count", claims: tok, tenant: "A", policy: authz.TenantPermissions(req, "top"), wantErr: true},
		{name: "member: yes", claims: tok, tenant: "E", policy: authz.TenantMember(req)},
		{name: "member: no", claims: tok, tenant: "Z", policy: authz.TenantMember(req), wantErr: true, wantReq: `tenant membership`},

		{name: "dct: role in current tenant", claims: tok, policy: authz.TenantRoles(dct, "admin")},
		{name: "dct: role only in other tenant", claims: tok, policy: authz.TenantRoles(dct, "owner"), wantErr: true},
		{name: "dct: request tenant ignored", claims: tok, tenant: "B", policy: authz.TenantRoles(dct, "owner"), wantErr: true},
		{name: "dct: missing", claims: `{"tenants":{"A":{"roles":["admin"]}}}`, policy: authz.TenantRoles(dct, "admin"), wantErr: true},
		{name: "dct: empty", claims: `{"dct":"","tenants":{"":{"roles":["admin"]}}}`, policy: authz.TenantRoles(dct, "admin"), wantErr: true},
		{name: "dct: number", claims: `{"dct":1,"tenants":{"1":{"roles":["admin"]}}}`, policy: authz.TenantRoles(dct, "admin"), wantErr: true},
		{name: "dct: permission", claims: tok, policy: authz.TenantPermissions(dct, "read")},
		{name: "nested tenant claim", claims: `{"org":{"id":"B"},"tenants":{"B":{"roles":["x"]}}}`, policy: authz.TenantRoles(authz.TenantFromClaim("org", "id"), "x")},

		{name: "custom source", claims: tok, policy: authz.TenantRoles(func(context.Context, *authz.Claims) (string, bool) { return "B", true }, "owner")},
		{name: "custom source: none", claims: tok, policy: authz.TenantRoles(func(context.Context, *authz.Claims) (string, bool) { return "A", false }, "admin"), wantErr: true},
		{name: "request tenant must be the current one", claims: tok, tenant: "B",
			policy: authz.All(authz.TenantRoles(req, "owner"), authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error {
				r, _ := authz.TenantFromContext(ctx)
				if d, _ := dct(ctx, c); d != r {
					return &authz.PolicyError{Requirement: "current tenant"}
				}
				return nil
			})), wantErr: true, wantReq: "current tenant"},
	})
}

func TestTenantContext(t *testing.T) {
	ctx := context.Background()
	if id, ok := authz.TenantFromContext(ctx); ok || id != "" {
		t.Fatalf("empty context: %q, %v", id, ok)
	}
	if _, ok := authz.TenantFromContext(authz.WithTenant(ctx, "")); ok {
		t.Fatal("empty tenant reported present")
	}
	ctx = authz.WithTenant(ctx, "A")
	if id, ok := authz.TenantFromContext(ctx); !ok || id != "A" {
		t.Fatalf("got %q, %v", id, ok)
	}
	if id, ok := authz.RequestTenant(authz.WithTenant(ctx, "B"), nil); !ok || id != "B" {
		t.Fatalf("inner WithTenant: got %q, %v", id, ok)
	}
	// Another package's context value under a string key never reads as
	// the tenant.
	type key string
	if _, ok := authz.TenantFromContext(context.WithValue(context.Background(), key("tenant"), "A")); ok {
		t.Fatal("foreign context key read as tenant")
	}
}

// errBroken is a failure to decide, as a policy consulting a database might
// return.
var errBroken = errors.New("policy backend down")

func TestPolicyCombinators(t *testing.T) {
	env := newPolEnv(t)
	read := authz.RequireScopes("read")
	write := authz.RequireScopes("write")
	admin := authz.RequireRoles("admin")
	allow := authz.PolicyFunc(func(context.Context, *authz.Claims) error { return nil })
	deny := authz.PolicyFunc(func(context.Context, *authz.Claims) error { return &authz.PolicyError{Requirement: "custom"} })
	runPolicyTable(t, env, []polCase{
		{name: "all: both", claims: `{"scope":"read write"}`, policy: authz.All(read, write)},
		{name: "all: first fails", claims: `{"scope":"write"}`, policy: authz.All(read, admin), wantErr: true,
			wantReq: `scope "read"`, wantScopes: []string{"read"}},
		{name: "all: second fails", claims: `{"scope":"read"}`, policy: authz.All(read, admin), wantErr: true,
			wantReq: `role "admin"`, wantScopes: []string{}},
		{name: "all: scope denial lists every required scope", claims: `{"scope":"read","roles":["admin"]}`, policy: authz.All(read, admin, write), wantErr: true,
			wantReq: `scope "write"`, wantScopes: []string{"write", "read"}},
		{name: "all: nested scope union", claims: `{}`, policy: authz.All(authz.All(read, admin), authz.RequireScopes("x", "read")), wantErr: true,
			wantReq: `scope "read"`, wantScopes: []string{"read", "x"}},
		{name: "all: any-of scopes are not added", claims: `{"scope":"read"}`, policy: authz.All(read, authz.RequireAnyScope("a", "b")), wantErr: true,
			wantReq: `any scope of "a" "b"`, wantScopes: []string{"a", "b", "read"}},
		{name: "all: single is itself", claims: `{}`, policy: authz.All(read), wantErr: true, wantReq: `scope "read"`},
		{name: "all: roles and scopes", claims: `{"scope":"read","roles":["admin"]}`, policy: authz.All(read, admin)},

		{name: "any: first", claims: `{"scope":"read"}`, policy: authz.Any(read, admin)},
		{name: "any: second", claims: `{"roles":["admin"]}`, policy: authz.Any(read, admin)},
		{name: "any: none lists every alternative", claims: `{"scope":"other"}`, policy: authz.Any(read, admin, write), wantErr: true,
			wantReq: `any of (scope "read"; role "admin"; scope "write")`, wantScopes: []string{"read", "write"}},
		{name: "any: no scope alternatives", claims: `{}`, policy: authz.Any(admin, authz.RequireRoles("root")), wantErr: true,
			wantReq: `any of (role "admin"; role "root")`, wantScopes: []string{}},
		{name: "any: more than eight alternatives", claims: `{"roles":["r9"]}`, policy: authz.Any(
			authz.RequireRoles("r0"), authz.RequireRoles("r1"), authz.RequireRoles("r2"), authz.RequireRoles("r3"), authz.RequireRoles("r4"),
			authz.RequireRoles("r5"), authz.RequireRoles("r6"), authz.RequireRoles("r7"), authz.RequireRoles("r8"), authz.RequireRoles("r9"))},
		{name: "any: nine alternatives denied", claims: `{}`, policy: authz.Any(
			authz.RequireRoles("r0"), authz.RequireRoles("r1"), authz.RequireRoles("r2"), authz.RequireRoles("r3"), authz.RequireRoles("r4"),
			authz.RequireRoles("r5"), authz.RequireRoles("r6"), authz.RequireRoles("r7"), authz.RequireRoles("r8")), wantErr: true,
			wantReq: `any of (role "r0"; role "r1"; role "r2"; role "r3"; role "r4"; role "r5"; role "r6"; role "r7"; role "r8")`},
		{name: "any: custom policy without PolicyError", claims: `{}`, policy: authz.Any(admin, authz.PolicyFunc(func(context.Context, *authz.Claims) error {
			return fmt.Errorf("no: %w", authz.ErrForbidden)
		})), wantErr: true, wantReq: `any of (role "admin"; custom policy)`},
		{name: "any: wrapped PolicyError", claims: `{}`, policy: authz.Any(admin, authz.PolicyFunc(func(context.Context, *authz.Claims) error {
			return fmt.Errorf("wrapped: %w", &authz.PolicyError{Requirement: "inner"})
		})), wantErr: true, wantReq: `any of (role "admin"; inner)`},

		{name: "not: inner denies", claims: `{}`, policy: authz.Not(admin)},
		{name: "not: inner allows", claims: `{"roles":["admin"]}`, policy: authz.Not(admin), wantErr: true, wantReq: `not (role "admin")`},
		{name: "not: scope text", claims: `{"scope":"read"}`, policy: authz.Not(read), wantErr: true, wantReq: `not (scope "read")`, wantScopes: []string{}},
		{name: "not: custom policy", claims: `{}`, policy: authz.Not(allow), wantErr: true, wantReq: `not (custom policy)`},
		{name: "not: named custom policy", claims: `{}`, policy: authz.Not(authz.Named("internal caller", allow)), wantErr: true, wantReq: `not (internal caller)`},
		{name: "not: not", claims: `{"roles":["admin"]}`, policy: authz.Not(authz.Not(admin))},
		{name: "not: not denies", claims: `{}`, policy: authz.Not(authz.Not(admin)), wantErr: true, wantReq: `not (not (role "admin"))`},

		{name: "nest: any of all", claims: `{"scope":"read write"}`, policy: authz.Any(authz.All(read, write), admin)},
		{name: "nest: any of all, all fails", claims: `{"scope":"read"}`, policy: authz.Any(authz.All(read, write), admin), wantErr: true,
			wantReq: `any of (scope "write"; role "admin")`, wantScopes: []string{"write", "read"}},
		{name: "nest: all with not", claims: `{"scope":"read","roles":["user"]}`, policy: authz.All(read, authz.Not(authz.RequireRoles("banned")))},
		{name: "nest: all with not, banned", claims: `{"scope":"read","roles":["banned"]}`, policy: authz.All(read, authz.Not(authz.RequireRoles("banned"))), wantErr: true,
			wantReq: `not (role "banned")`},
		{name: "nest: not of any", claims: `{"roles":["b"]}`, policy: authz.Not(authz.Any(authz.RequireRoles("a"), authz.RequireRoles("b"))), wantErr: true,
			wantReq: `not (any of (role "a"; role "b"))`},
		{name: "nest: not of all", claims: `{"roles":["a"]}`, policy: authz.Not(authz.All(authz.RequireRoles("a"), authz.RequireRoles("b")))},
		{name: "nest: not of all denies", claims: `{"roles":["a","b"]}`, policy: authz.Not(authz.All(authz.RequireRoles("a"), authz.RequireRoles("b"))), wantErr: true,
			wantReq: `not (all of (role "a"; role "b"))`},
		{name: "nest: deep", claims: `{"scope":"read","realm_access":{"roles":["ops"]}}`, policy: authz.All(
			authz.Any(read, write),
			authz.Any(admin, authz.All(authz.KeycloakRealmRoles("ops"), authz.Not(authz.Claim("suspended").Present()))))},
		{name: "nest: deep denied", claims: `{"scope":"read","suspended":true,"realm_access":{"roles":["ops"]}}`, policy: authz.All(
			authz.Any(read, write),
			authz.Any(admin, authz.All(authz.KeycloakRealmRoles("ops"), authz.Not(authz.Claim("suspended").Present())))), wantErr: true,
			wantReq: `any of (role "admin"; not (claim suspended present))`},

		{name: "named: allows", claims: `{"roles":["a"]}`, policy: authz.Named("team a", authz.RequireRoles("a"))},
		{name: "named: denial", claims: `{}`, policy: authz.Named("team a", authz.RequireRoles("a")), wantErr: true, wantReq: "team a", wantScopes: []string{}},
		{name: "named: keeps scopes", claims: `{}`, policy: authz.Named("readers", read), wantErr: true, wantReq: "readers", wantScopes: []string{"read"}},
		{name: "named: keeps any-of scopes", claims: `{}`, policy: authz.Named("readers", authz.Any(read, write)), wantErr: true, wantReq: "readers", wantScopes: []string{"read", "write"}},
		{name: "named: plain denial", claims: `{}`, policy: authz.Named("custom", deny), wantErr: true, wantReq: "custom"},
		{name: "func: custom", claims: `{}`, policy: deny, wantErr: true, wantReq: "custom"},
	})
}

// A failure to decide is never turned into an allow, and never hidden
// behind a denial.
func TestPolicyNonDenialErrors(t *testing.T) {
	env := newPolEnv(t)
	c := env.claims(t, `{"roles":["admin"]}`)
	broken := authz.PolicyFunc(func(context.Context, *authz.Claims) error { return errBroken })
	admin := authz.RequireRoles("admin")
	other := authz.RequireRoles("other")
	tests := []struct {
		name   string
		policy authz.Policy
		want   error // nil: allowed
	}{
		{"not propagates", authz.Not(broken), errBroken},
		{"all propagates", authz.All(admin, broken), errBroken},
		{"all stops at first denial", authz.All(other, broken), authz.ErrForbidden},
		{"any: another alternative allows", authz.Any(broken, admin), nil},
		{"any: no alternative allows", authz.Any(broken, other), errBroken},
		{"any: error after denial", authz.Any(other, broken), errBroken},
		{"named propagates", authz.Named("x", broken), errBroken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(context.Background(), c)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
			if tc.want == errBroken && errors.Is(err, authz.ErrForbidden) {
				t.Fatalf("failure %v reported as a denial", err)
			}
		})
	}
}

// With no claims (an anonymous caller, if an adapter ever checks one),
// every policy of the package denies — Not included.
func TestPolicyNilClaims(t *testing.T) {
	ctx := authz.WithTenant(context.Background(), "A")
	policies := map[string]authz.Policy{
		"scopes":      authz.RequireScopes("a"),
		"any scope":   authz.Wildcard.RequireAnyScope("a"),
		"roles":       authz.RequireRoles("a"),
		"claim":       authz.Claim("a").Present(),
		"tenant":      authz.TenantRoles(authz.RequestTenant, "a"),
		"tenant dct":  authz.TenantMember(authz.TenantFromClaim("dct")),
		"not":         authz.Not(authz.RequireRoles("a")),
		"not not":     authz.Not(authz.Not(authz.RequireRoles("a"))),
		"any":         authz.Any(authz.RequireRoles("a"), authz.Not(authz.RequireRoles("b"))),
		"all of nots": authz.All(authz.Not(authz.RequireRoles("a")), authz.Not(authz.RequireRoles("b"))),
	}
	for name, p := range policies {
		if err := p.Check(ctx, nil); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("%s: Check(nil claims) = %v, want a denial", name, err)
		}
	}
}

// Denials name what the policy requires and never echo the token: no claim
// value, tenant ID or scope the token carries appears in them.
func TestPolicyErrorsNeverEchoToken(t *testing.T) {
	env := newPolEnv(t)
	c := env.claims(t, `{"scope":"leak-scope","roles":["leak-role"],"dct":"leak-tenant","org":"leak-org",
		"tenants":{"leak-tenant":{"roles":["leak-role"]}},"realm_access":{"roles":["leak-role"]}}`)
	ctx := authz.WithTenant(context.Background(), "leak-request-tenant")
	policies := []authz.Policy{
		authz.RequireScopes("read"),
		authz.Hierarchic.RequireAnyScope("read"),
		authz.RequireRoles("admin"),
		authz.Claim("org").Equals("acme"),
		authz.Claim("org").OneOf("acme", 1),
		authz.Claim("roles").Contains("admin"),
		authz.KeycloakRealmRoles("admin"),
		authz.TenantRoles(authz.TenantFromClaim("dct"), "admin"),
		authz.TenantRoles(authz.RequestTenant, "admin"),
		authz.TenantMember(authz.RequestTenant),
		authz.Not(authz.Claim("org").Present()),
		authz.Any(authz.RequireRoles("admin"), authz.TenantPermissions(authz.TenantFromClaim("dct"), "x")),
	}
	for i, p := range policies {
		err := p.Check(ctx, c)
		if err == nil {
			t.Fatalf("policy %d allowed", i)
		}
		if strings.Contains(err.Error(), "leak") {
			t.Errorf("policy %d: denial %q echoes the token", i, err)
		}
	}
}

func TestPolicyConstructorsPanic(t *testing.T) {
	tests := map[string]func(){
		"All()":                         func() { authz.All() },
		"Any()":                         func() { authz.Any() },
		"All(nil)":                      func() { authz.All(authz.RequireScopes("a"), nil) },
		"Any(nil)":                      func() { authz.Any(nil) },
		"Not(nil)":                      func() { authz.Not(nil) },
		"Named(nil)":                    func() { authz.Named("x", nil) },
		"Named empty":                   func() { authz.Named("", authz.RequireScopes("a")) },
		"RequireScopes()":               func() { authz.RequireScopes() },
		"RequireScopes empty":           func() { authz.RequireScopes("") },
		"RequireScopes space":           func() { authz.RequireScopes("read write") },
		"RequireScopes quote":           func() { authz.RequireScopes(`a"b`) },
		"RequireScopes backslash":       func() { authz.RequireScopes(`a\b`) },
		"RequireScopes non-ASCII":       func() { authz.RequireScopes("lesen:nachrichtén") },
		"RequireAnyScope()":             func() { authz.RequireAnyScope() },
		"unknown strategy":              func() { authz.ScopeMatching(9).RequireScopes("a") },
		"RequireRoles()":                func() { authz.RequireRoles() },
		"RequireRoles empty":            func() { authz.RequireRoles("a", "") },
		"RequirePermissions()":          func() { authz.RequirePermissions() },
		"Claim()":                       func() { authz.Claim() },
		"Claim empty element":           func() { authz.Claim("a", "") },
		"ClaimPath empty":               func() { authz.ClaimPath("") },
		"ClaimPath double dot":          func() { authz.ClaimPath("a..b") },
		"ClaimPath leading dot":         func() { authz.ClaimPath(".a") },
		"zero selector":                 func() { authz.ClaimSelector{}.Present() },
		"Equals nil":                    func() { authz.Claim("a").Equals(nil) },
		"Equals slice":                  func() { authz.Claim("a").Equals([]string{"x"}) },
		"Equals NaN":                    func() { authz.Claim("a").Equals(nanValue()) },
		"Equals bad json.Number":        func() { authz.Claim("a").Equals(json.Number("x")) },
		"OneOf()":                       func() { authz.Claim("a").OneOf() },
		"Contains()":                    func() { authz.Claim("a").Contains() },
		"ContainsAny empty":             func() { authz.Claim("a").ContainsAny("") },
		"KeycloakRealmRoles()":          func() { authz.KeycloakRealmRoles() },
		"KeycloakClientRoles no client": func() { authz.KeycloakClientRoles("", "a") },
		"TenantRoles nil source":        func() { authz.TenantRoles(nil, "a") },
		"TenantRoles()":                 func() { authz.TenantRoles(authz.RequestTenant) },
		"TenantPermissions()":           func() { authz.TenantPermissions(authz.RequestTenant) },
		"TenantMember nil":              func() { authz.TenantMember(nil) },
		"TenantFromClaim()":             func() { authz.TenantFromClaim() },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// The same Claims checked from many goroutines at once: the claim map is
// decoded once, safely.
func TestPolicyConcurrentChecks(t *testing.T) {
	env := newPolEnv(t)
	c := env.claims(t, `{"scope":"read","realm_access":{"roles":["admin"]},"tenants":{"A":{"roles":["x"]}}}`)
	p := authz.All(authz.RequireScopes("read"), authz.KeycloakRealmRoles("admin"), authz.TenantRoles(authz.RequestTenant, "x"))
	ctx := authz.WithTenant(context.Background(), "A")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if err := p.Check(ctx, c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Scope checks allocate nothing, whether they allow or deny; the other
// policies allocate nothing when they allow, once the claim map is decoded.
func TestPolicyAllocations(t *testing.T) {
	env := newPolEnv(t)
	c := env.claims(t, `{"scope":"openid read:messages write:messages users:*","roles":["admin"],
		"realm_access":{"roles":["ops"]},"dct":"A","tenants":{"A":{"roles":["admin"]}},"org":"acme","ver":2}`)
	ctx := authz.WithTenant(context.Background(), "A")
	read, write := authz.RequireScopes("read:messages"), authz.RequireScopes("write:messages")
	tests := []struct {
		name    string
		policy  authz.Policy
		wantErr bool
	}{
		{"scopes", authz.RequireScopes("read:messages", "write:messages"), false},
		{"scopes denied", authz.RequireScopes("read:messages", "admin"), true},
		{"any scope", authz.RequireAnyScope("admin", "write:messages"), false},
		{"any scope denied", authz.RequireAnyScope("admin", "root"), true},
		{"hierarchic", authz.Hierarchic.RequireScopes("read:messages:own"), false},
		{"wildcard", authz.Wildcard.RequireScopes("users:delete"), false},
		{"wildcard denied", authz.Wildcard.RequireScopes("groups:delete"), true},
		{"all scopes", authz.All(read, write), false},
		{"all scopes denied", authz.All(read, authz.RequireScopes("admin")), true},
		{"any scopes", authz.Any(authz.RequireScopes("admin"), write), false},
		{"any scopes denied", authz.Any(authz.RequireScopes("admin"), authz.RequireScopes("root")), true},
		{"any in all denied", authz.All(read, authz.Any(authz.RequireScopes("admin"), authz.RequireScopes("root"))), true},
		{"named any denied", authz.Named("admins", authz.Any(authz.RequireScopes("admin"), authz.RequireScopes("root"))), true},
		{"not scope", authz.Not(authz.RequireScopes("admin")), false},
		{"not scope denied", authz.Not(read), true},
		{"roles", authz.RequireRoles("admin"), false},
		{"keycloak", authz.KeycloakRealmRoles("ops"), false},
		{"equals", authz.Claim("org").Equals("acme"), false},
		{"equals number", authz.Claim("ver").Equals(2), false},
		{"tenant request", authz.TenantRoles(authz.RequestTenant, "admin"), false},
		{"tenant dct", authz.TenantRoles(authz.TenantFromClaim("dct"), "admin"), false},
		{"named", authz.Named("readers", read), false},
	}
	c.Map() // decode once
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.policy.Check(ctx, c); (err != nil) != tc.wantErr {
				t.Fatalf("Check = %v, wantErr %v", err, tc.wantErr)
			}
			if n := testing.AllocsPerRun(100, func() { _ = tc.policy.Check(ctx, c) }); n != 0 {
				t.Errorf("%v allocations per Check, want 0", n)
			}
		})
	}
}

func benchPolicy(b *testing.B, claims string, tenant string, p authz.Policy) {
	env := newPolEnv(b)
	c := env.claims(b, claims)
	ctx := context.Background()
	if tenant != "" {
		ctx = authz.WithTenant(ctx, tenant)
	}
	if err := p.Check(ctx, c); err != nil {
		b.Fatalf("Check: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := p.Check(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

const benchScopes = `{"scope":"openid profile email read:messages write:messages users:* admin:read"}`

func BenchmarkPolicyRequireScopes(b *testing.B) {
	benchPolicy(b, benchScopes, "", authz.RequireScopes("read:messages", "write:messages"))
}

func BenchmarkPolicyRequireAnyScope(b *testing.B) {
	benchPolicy(b, benchScopes, "", authz.RequireAnyScope("delete:messages", "write:messages"))
}

func BenchmarkPolicyHierarchic(b *testing.B) {
	benchPolicy(b, benchScopes, "", authz.Hierarchic.RequireScopes("admin:read:logs"))
}

func BenchmarkPolicyWildcard(b *testing.B) {
	benchPolicy(b, benchScopes, "", authz.Wildcard.RequireScopes("users:delete"))
}

func BenchmarkPolicyComposedScopes(b *testing.B) {
	benchPolicy(b, benchScopes, "", authz.All(
		authz.RequireScopes("read:messages"),
		authz.Any(authz.RequireScopes("admin"), authz.RequireScopes("write:messages")),
		authz.Not(authz.RequireScopes("banned")),
	))
}

func BenchmarkPolicyKeycloakRealmRoles(b *testing.B) {
	benchPolicy(b, `{"realm_access":{"roles":["offline_access","uma_authorization","admin"]}}`, "", authz.KeycloakRealmRoles("admin"))
}

func BenchmarkPolicyTenantRoles(b *testing.B) {
	benchPolicy(b, `{"tenants":{"T1":{"roles":["viewer"]},"T2":{"roles":["admin","editor"]}}}`, "T2", authz.TenantRoles(authz.RequestTenant, "admin"))
}
