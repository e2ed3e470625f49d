package authz_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// verifiedClaims returns the claims of a token, signed by a test issuer and
// validated, whose payload holds the given claims next to iss, sub, aud,
// iat and exp. In a service, the claims come from Validator.Validate (or
// from an adapter's context getter).
func verifiedClaims(payload string) *authz.Claims {
	exampleIssuer.once.Do(func() {
		iss, err := authztest.New()
		if err != nil {
			panic(err)
		}
		v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
		if err != nil {
			panic(err)
		}
		exampleIssuer.iss, exampleIssuer.v = iss, v
	})
	m := exampleIssuer.iss.Claims("user-1", "api")
	d := json.NewDecoder(strings.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		panic(err)
	}
	tok, err := exampleIssuer.iss.Mint(m)
	if err != nil {
		panic(err)
	}
	c, err := exampleIssuer.v.Validate(context.Background(), tok)
	if err != nil {
		panic(err)
	}
	return c
}

var exampleIssuer struct {
	once sync.Once
	iss  *authztest.Issuer
	v    *authz.Validator
}

func ExampleRequireScopes() {
	policy := authz.RequireScopes("read:messages", "write:messages")
	ctx := context.Background()

	fmt.Println(policy.Check(ctx, verifiedClaims(`{"scope":"openid read:messages write:messages"}`)))

	err := policy.Check(ctx, verifiedClaims(`{"scope":"openid read:messages"}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, authz.ErrForbidden))

	// Adapters answer 403 with error="insufficient_scope" and these scopes.
	var pe *authz.PolicyError
	if errors.As(err, &pe) {
		fmt.Printf("scope=%q\n", strings.Join(pe.Scopes, " "))
	}
	// Output:
	// <nil>
	// authz: forbidden: requires scopes "read:messages" "write:messages"
	// true
	// scope="read:messages write:messages"
}

func ExampleRequireAnyScope() {
	policy := authz.RequireAnyScope("messages:admin", "write:messages")
	fmt.Println(policy.Check(context.Background(), verifiedClaims(`{"scp":["write:messages"]}`)))
	// Output:
	// <nil>
}

func ExampleScopeMatching_RequireScopes() {
	ctx := context.Background()
	claims := verifiedClaims(`{"scope":"read messages:*"}`)

	// Hierarchic: "read" grants every "read:…" scope.
	fmt.Println(authz.Hierarchic.RequireScopes("read:messages").Check(ctx, claims))
	// Wildcard: "messages:*" grants every "messages:…" scope.
	fmt.Println(authz.Wildcard.RequireScopes("messages:delete").Check(ctx, claims))
	// Exact, the default: neither grants anything but itself.
	fmt.Println(authz.RequireScopes("read:messages").Check(ctx, claims))
	// Output:
	// <nil>
	// <nil>
	// authz: forbidden: requires scope "read:messages"
}

func ExampleAll() {
	policy := authz.All(
		authz.RequireScopes("read:messages"),
		authz.RequireRoles("editor"),
	)
	err := policy.Check(context.Background(), verifiedClaims(`{"scope":"read:messages","roles":["viewer"]}`))
	fmt.Println(err)
	// Output:
	// authz: forbidden: requires role "editor"
}

func ExampleAny() {
	policy := authz.Any(
		authz.RequireScopes("messages:admin"),
		authz.RequireRoles("admin"),
	)
	ctx := context.Background()
	fmt.Println(policy.Check(ctx, verifiedClaims(`{"roles":["admin"]}`)))
	fmt.Println(policy.Check(ctx, verifiedClaims(`{"roles":["viewer"]}`)))
	// Output:
	// <nil>
	// authz: forbidden: requires any of (scope "messages:admin"; role "admin")
}

func ExampleNot() {
	policy := authz.All(
		authz.RequireScopes("read:messages"),
		authz.Not(authz.Claim("suspended").Equals(true)),
	)
	ctx := context.Background()
	fmt.Println(policy.Check(ctx, verifiedClaims(`{"scope":"read:messages"}`)))
	fmt.Println(policy.Check(ctx, verifiedClaims(`{"scope":"read:messages","suspended":true}`)))
	// Output:
	// <nil>
	// authz: forbidden: requires not (claim suspended equals true)
}

func ExampleNamed() {
	internal := authz.PolicyFunc(func(_ context.Context, c *authz.Claims) error {
		if !strings.HasSuffix(c.Subject, "@clients") {
			return &authz.PolicyError{Requirement: "machine client"}
		}
		return nil
	})
	policy := authz.Not(authz.Named("machine client", internal))
	fmt.Println(policy.Check(context.Background(), verifiedClaims(`{"sub":"abc@clients"}`)))
	// Output:
	// authz: forbidden: requires not (machine client)
}

// Auth0 puts custom claims under a namespace URL; path elements are used as
// they are, dots and slashes included.
func ExampleClaim() {
	policy := authz.Claim("https://example.com/roles").Contains("admin")
	fmt.Println(policy.Check(context.Background(), verifiedClaims(`{"https://example.com/roles":["admin"]}`)))
	// Output:
	// <nil>
}

func ExampleClaimPath() {
	policy := authz.ClaimPath("org.plan").OneOf("pro", "enterprise")
	ctx := context.Background()
	fmt.Println(policy.Check(ctx, verifiedClaims(`{"org":{"plan":"pro"}}`)))
	fmt.Println(policy.Check(ctx, verifiedClaims(`{"org":{"plan":"free"}}`)))
	// Output:
	// <nil>
	// authz: forbidden: requires claim org.plan one of "pro" "enterprise"
}

func ExampleKeycloakClientRoles() {
	claims := verifiedClaims(`{
		"realm_access": {"roles": ["offline_access"]},
		"resource_access": {"orders-api": {"roles": ["reader"]}, "account": {"roles": ["manage-account"]}}
	}`)
	ctx := context.Background()
	fmt.Println(authz.KeycloakClientRoles("orders-api", "reader").Check(ctx, claims))
	fmt.Println(authz.KeycloakClientRoles("orders-api", "manage-account").Check(ctx, claims))
	fmt.Println(authz.KeycloakRealmRoles("admin").Check(ctx, claims))
	// Output:
	// <nil>
	// authz: forbidden: requires client "orders-api" role "manage-account"
	// authz: forbidden: requires realm role "admin"
}

// A Descope token holds roles per tenant. The tenant a request acts in
// comes from the request (an adapter or middleware calls WithTenant with a
// path parameter, say) or from the token's current tenant, dct.
func ExampleTenantRoles() {
	claims := verifiedClaims(`{
		"dct": "T1",
		"tenants": {"T1": {"roles": ["viewer"]}, "T2": {"roles": ["admin"]}}
	}`)
	admin := authz.TenantRoles(authz.RequestTenant, "admin")

	ctx := authz.WithTenant(context.Background(), "T2")
	fmt.Println(admin.Check(ctx, claims))

	ctx = authz.WithTenant(context.Background(), "T1") // admin in T2 does not count in T1
	fmt.Println(admin.Check(ctx, claims))

	current := authz.TenantRoles(authz.TenantFromClaim("dct"), "viewer")
	fmt.Println(current.Check(context.Background(), claims))
	// Output:
	// <nil>
	// authz: forbidden: requires tenant role "admin"
	// <nil>
}
