package authz_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func Example() {
	idp, _ := authztest.New() // a local OpenID Connect issuer
	defer idp.Close()

	// In production, list your issuers: authz.Auth0(domain, audience),
	// authz.Descope(projectID), authz.OIDC(issuerURL, audience), ...
	v, err := authz.New([]authz.Issuer{idp.OIDC("https://api.example.com")})
	if err != nil {
		panic(err)
	}
	defer v.Close()

	claims := idp.Claims("user-1", "https://api.example.com")
	claims["scope"] = "read:messages"
	token, _ := idp.Mint(claims)

	c, err := v.Validate(context.Background(), token)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Subject, c.Scopes)
	fmt.Println(authz.RequireScopes("write:messages").Check(context.Background(), c))
	// Output:
	// user-1 [read:messages]
	// authz: forbidden: requires scope "write:messages"
}

func ExampleValidationError() {
	idp, _ := authztest.New()
	defer idp.Close()
	v, _ := authz.New([]authz.Issuer{idp.OIDC("api")})
	defer v.Close()

	claims := idp.Claims("user-1", "api")
	claims["exp"] = time.Now().Add(-time.Hour).Unix()
	token, _ := idp.Mint(claims)

	_, err := v.Validate(context.Background(), token)
	var ve *authz.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Reason, errors.Is(err, authz.ErrExpired), errors.Is(err, authz.ErrInvalidToken))
		fmt.Println(ve.Description())
	}
	// Output:
	// expired true true
	// token has expired
}

func ExampleAuth0() {
	is := authz.Auth0("example.us.auth0.com", "https://api.example.com")
	is.Leeway = 5 * time.Second // presets are plain values: amend them
	fmt.Println(is.URL)
	fmt.Println(is.JWKSURL)
	fmt.Println(is.ScopeClaims)
	// Output:
	// https://example.us.auth0.com/
	// https://example.us.auth0.com/.well-known/jwks.json
	// [scope permissions]
}

func ExampleDescope() {
	is := authz.Descope("P2abcdef")
	fmt.Println(is.URL)
	fmt.Println(is.Aliases)
	fmt.Println(is.JWKSURL)
	// Output:
	// https://api.descope.com/P2abcdef
	// [https://api.descope.com/v1/apps/P2abcdef P2abcdef]
	// https://api.descope.com/P2abcdef/.well-known/jwks.json
}
