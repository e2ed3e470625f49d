package authz_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func TestMorePresetShapes(t *testing.T) {
	tests := []struct {
		name             string
		is               authz.Issuer
		wantURL, wantKey string
	}{
		{"okta", authz.Okta("example.okta.com", "default", "api://default"), "https://example.okta.com/oauth2/default", "https://example.okta.com/oauth2/default/v1/keys"},
		{"keycloak", authz.Keycloak("https://sso.example.com/", "acme", "account"), "https://sso.example.com/realms/acme", "https://sso.example.com/realms/acme/protocol/openid-connect/certs"},
		{"keycloak legacy", authz.Keycloak("https://sso.example.com/auth", "acme", "account"), "https://sso.example.com/auth/realms/acme", "https://sso.example.com/auth/realms/acme/protocol/openid-connect/certs"},
		{"google", authz.Google("client.apps.googleusercontent.com"), "https://accounts.google.com", "https://www.googleapis.com/oauth2/v3/certs"},
		{"entra", authz.EntraID([]string{"t1"}, "api")[0], "https://login.microsoftonline.com/t1/v2.0", "https://login.microsoftonline.com/t1/discovery/v2.0/keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.is.URL != tt.wantURL || tt.is.JWKSURL != tt.wantKey {
				t.Fatalf("URL %q JWKS %q, want %q %q", tt.is.URL, tt.is.JWKSURL, tt.wantURL, tt.wantKey)
			}
			v, err := authz.New([]authz.Issuer{tt.is}, authz.WithoutBackground())
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			v.Close()
		})
	}
}

// TestEntraTenants: tokens from allowed tenants pass, others fail, and a
// tenant's keys never verify another tenant's tokens.
func TestEntraTenants(t *testing.T) {
	idpA, idpB, idpC := authztest.NewT(t), authztest.NewT(t), authztest.NewT(t)
	const tA, tB, tC = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"
	issuers := authz.EntraID([]string{tA, tB}, "api://app")
	issuers[0].JWKSURL = idpA.JWKSURL() // each tenant's keys served locally
	issuers[1].JWKSURL = idpB.JWKSURL()
	v := newValidator(t, issuers)
	entra := func(idp *authztest.Issuer, tid, issTid string) string {
		c := idp.Claims("user", "api://app")
		c["iss"] = "https://login.microsoftonline.com/" + issTid + "/v2.0"
		c["tid"] = tid
		c["scp"] = "read write"
		c["roles"] = []string{"Admin"}
		return mint(t, idp, c)
	}
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{"tenant A", entra(idpA, tA, tA), nil},
		{"tenant B", entra(idpB, tB, tB), nil},
		{"tenant C not allowed", entra(idpC, tC, tC), authz.ErrUnknownIssuer},
		{"B's key claiming tenant A", entra(idpB, tA, tA), authz.ErrSignature},
		{"tid does not match iss", entra(idpA, tB, tA), authz.ErrClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Validate(bg, tt.token)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (!c.HasScope("read") || !c.HasScope("write")) {
				t.Fatalf("scopes = %v", c.Scopes)
			}
		})
	}
}

func TestIssuerScopeMatching(t *testing.T) {
	idp := authztest.NewT(t)
	is := idp.OIDC("api")
	is.ScopeMatching = authz.Hierarchic
	v := newValidator(t, []authz.Issuer{is})
	c := idp.Claims("u", "api")
	c["scope"] = "messages"
	claims, err := v.Validate(bg, mint(t, idp, c))
	if err != nil {
		t.Fatal(err)
	}
	if err := authz.RequireScopes("messages:read").Check(bg, claims); err != nil {
		t.Fatalf("issuer-level hierarchic matching not applied: %v", err)
	}
	if err := authz.Exact.RequireScopes("messages:read").Check(bg, claims); !errors.Is(err, authz.ErrForbidden) {
		t.Fatalf("a policy's own strategy must win: %v", err)
	}
	bad := idp.OIDC("api")
	bad.ScopeMatching = 99
	if _, err := authz.New([]authz.Issuer{bad}, authz.WithoutBackground()); err == nil {
		t.Fatal("unknown ScopeMatching accepted")
	}
}

// TestAddRemoveUnderLoad: issuers change while requests run; requests for
// the stable issuer never fail, and -race sees no conflict.
func TestAddRemoveUnderLoad(t *testing.T) {
	stable, moving := authztest.NewT(t), authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{stable.OIDC("api")})
	tok := mint(t, stable, stable.Claims("u", "api"))
	movingTok := mint(t, moving, moving.Claims("u", "api"))
	stop := make(chan struct{})
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := v.Validate(bg, tok); err != nil {
					errs <- err
					return
				}
				if _, err := v.Validate(bg, movingTok); err != nil && !errors.Is(err, authz.ErrUnknownIssuer) {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		if err := v.AddIssuer(moving.OIDC("api")); err != nil {
			t.Fatal(err)
		}
		if !v.RemoveIssuer(moving.URL()) {
			t.Fatal("RemoveIssuer = false")
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("request failed during issuer changes: %v", err)
	}
}
