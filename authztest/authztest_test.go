package authztest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/internal/jws"
)

// TestMintValidates: a token of every algorithm validates, its JWKS parses
// with every key usable, and a retired key stops verifying.
func TestMintValidates(t *testing.T) {
	iss := authztest.NewT(t)
	for _, alg := range authz.DefaultAlgorithms {
		if alg == "RS256" {
			continue
		}
		if _, err := iss.Rotate(alg); err != nil {
			t.Fatal(err)
		}
	}
	set, err := jws.ParseJWKS(iss.JWKS())
	if err != nil || set.Len() != len(authz.DefaultAlgorithms) || set.Ignored() != 0 {
		t.Fatalf("JWKS: %v, %d keys, %d ignored", err, set.Len(), set.Ignored())
	}
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, alg := range authz.DefaultAlgorithms {
		t.Run(alg, func(t *testing.T) {
			c, err := v.Validate(context.Background(), iss.MustMint(t, iss.Claims("u", "api"), authztest.WithAlg(alg), authztest.WithType("at+jwt")))
			if err != nil {
				t.Fatal(err)
			}
			if c.Algorithm != alg || c.Type != "at+jwt" || c.KeyID != iss.CurrentKeyID(alg) {
				t.Fatalf("header read back as %s %s %s", c.Algorithm, c.Type, c.KeyID)
			}
			forged := iss.MustMint(t, iss.Claims("u", "api"), authztest.WithAlg(alg), authztest.WithUnpublishedKey())
			if _, err := v.Validate(context.Background(), forged); !errors.Is(err, authz.ErrSignature) {
				t.Fatalf("unpublished key: %v", err)
			}
		})
	}
}

// TestMintRaw signs bytes as given.
func TestMintRaw(t *testing.T) {
	iss := authztest.NewT(t)
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	c := iss.Claims("u", "api")
	payload := fmt.Sprintf(`{"iss":%q,"aud":"api","exp":%d,"x":"y"}`, c["iss"], c["exp"])
	tok, err := iss.MintRaw("RS256", []byte(fmt.Sprintf(`{"alg":"RS256","kid":%q}`, iss.CurrentKeyID("RS256"))), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Validate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw()) != payload {
		t.Fatalf("payload %s, want %s", got.Raw(), payload)
	}
}

// TestFailures: each Failure mode gives the Validator what it promises.
func TestFailures(t *testing.T) {
	iss := authztest.NewT(t)
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	iss.SetFailure(authztest.Fail5xx)
	if _, err := v.Validate(context.Background(), iss.MustMint(t, iss.Claims("u", "api"))); !errors.Is(err, authz.ErrKeysUnavailable) {
		t.Fatalf("Fail5xx: %v", err)
	}
	if iss.DiscoveryRequests() == 0 {
		t.Fatal("no discovery request counted")
	}
}

// TestNewClaims builds verified claims for policy tests.
func TestNewClaims(t *testing.T) {
	c := authztest.NewClaims(t, map[string]any{"scope": "read write", "tenant": "acme"})
	if !slices.Equal(c.Scopes, []string{"read", "write"}) {
		t.Fatalf("Scopes = %q", c.Scopes)
	}
	if err := authz.RequireScopes("read").Check(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Lookup("tenant"); v != "acme" {
		t.Fatalf("tenant = %v", v)
	}
	c = authztest.NewClaims(t, map[string]any{"permissions": []string{"a:b"}}, func(is *authz.Issuer) {
		is.ScopeClaims = []string{"permissions"}
	})
	if !c.HasScope("a:b") {
		t.Fatalf("Scopes = %q", c.Scopes)
	}
}
