package authz_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

const apiURI = "https://api.example.com/v1/messages"

// TestDPoP runs every check of RFC 9449 §4.3 and §7 through
// ValidateRequest, one row each.
func TestDPoP(t *testing.T) {
	iss := authztest.NewT(t)
	key, err := authztest.NewDPoPKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := authztest.NewDPoPKey("ES256")
	rsaKey, _ := authztest.NewDPoPKey("PS256")
	secret := []byte(strings.Repeat("s", 32))
	allowed := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
	required := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPRequired}))
	disabled := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	nonced := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed, NonceSecret: secret}))
	esOnly := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed, Algorithms: []string{"ES256"}}))

	claims := func(cnf map[string]any) map[string]any {
		c := iss.Claims("u", "api")
		if cnf != nil {
			c["cnf"] = cnf
		}
		return c
	}
	bound := mint(t, iss, claims(key.Confirmation()))
	plain := mint(t, iss, claims(nil))
	rsaBound := mint(t, iss, claims(rsaKey.Confirmation()))
	proof := func(k *authztest.DPoPKey, method, uri, tok string, opts ...authztest.ProofOption) string {
		p, err := k.Proof(method, uri, tok, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	req := func(scheme string, proofs ...string) authz.Request {
		return authz.Request{Scheme: scheme, Method: "GET", URI: apiURI, DPoP: proofs}
	}
	now := time.Now()
	cases := []struct {
		name   string
		v      *authz.Validator
		token  string
		req    authz.Request
		want   error
		reason authz.Reason
	}{
		{"bound token with proof", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound)), nil, ""},
		{"scheme is case-insensitive", allowed, bound, req("dpop", proof(key, "GET", apiURI, bound)), nil, ""},
		{"htu normalised: case, default port, dot segments, query", allowed, bound, req("DPoP", proof(key, "GET", "HTTPS://API.example.com:443/v1/x/../messages?a=b#f", bound)), nil, ""},
		{"htu percent-encoding normalised", allowed, bound, req("DPoP", proof(key, "GET", "https://api.example.com/v1/%6Dessages", bound)), nil, ""},
		{"plain bearer token passes in allowed mode", allowed, plain, req("Bearer"), nil, ""},
		{"bound token as Bearer", allowed, bound, req("Bearer", proof(key, "GET", apiURI, bound)), authz.ErrTokenBinding, authz.ReasonBoundAsBearer},
		{"bound token through Validate", allowed, bound, authz.Request{}, authz.ErrTokenBinding, authz.ReasonBoundAsBearer},
		{"plain token under DPoP scheme", allowed, plain, req("DPoP", proof(key, "GET", apiURI, plain)), authz.ErrTokenBinding, authz.ReasonDPoPProof},
		{"bearer where DPoP is required", required, plain, req("Bearer"), authz.ErrTokenBinding, authz.ReasonDPoPRequired},
		{"required mode with proof", required, bound, req("DPoP", proof(key, "GET", apiURI, bound)), nil, ""},
		{"DPoP scheme with DPoP disabled", disabled, bound, req("DPoP", proof(key, "GET", apiURI, bound)), authz.ErrTokenBinding, authz.ReasonUnknownBinding},
		{"no proof", allowed, bound, req("DPoP"), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"two proofs", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound), proof(key, "GET", apiURI, bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"proof not a JWT", allowed, bound, req("DPoP", "abc"), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"typ JWT", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("typ", "JWT"))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"typ missing", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("typ", nil))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"no jwk", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("jwk", nil))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"jwk of another key", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("jwk", authztest.PublicJWK(mustEC(t), "", "")))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"private jwk", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("jwk", map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"symmetric jwk", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("jwk", map[string]any{"kty": "oct", "k": "AAAA"}))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"alg none", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("alg", "none"))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"alg not in the allow-list", esOnly, rsaBound, req("DPoP", proof(rsaKey, "GET", apiURI, rsaBound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"PS256 proof allowed by default", allowed, rsaBound, req("DPoP", proof(rsaKey, "GET", apiURI, rsaBound)), nil, ""},
		{"crit in the proof", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofHeader("crit", []string{"x"}))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"signed by another key", allowed, bound, req("DPoP", proof(other, "GET", apiURI, bound, authztest.WithProofHeader("jwk", jwkOf(key)))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"key not the token's", allowed, bound, req("DPoP", proof(other, "GET", apiURI, bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htm differs", allowed, bound, req("DPoP", proof(key, "POST", apiURI, bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htm lower case", allowed, bound, req("DPoP", proof(key, "get", apiURI, bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htu other path", allowed, bound, req("DPoP", proof(key, "GET", "https://api.example.com/v1/other", bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htu other host", allowed, bound, req("DPoP", proof(key, "GET", "https://evil.example.com/v1/messages", bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htu http", allowed, bound, req("DPoP", proof(key, "GET", "http://api.example.com/v1/messages", bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htu other port", allowed, bound, req("DPoP", proof(key, "GET", "https://api.example.com:8443/v1/messages", bound)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"htu not a string", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofClaim("htu", 1))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"iat too old", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofTime(now.Add(-2*time.Minute)))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"iat in the future", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofTime(now.Add(time.Minute)))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"iat missing", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofClaim("iat", nil))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"jti missing", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofClaim("jti", nil))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"ath missing", allowed, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofClaim("ath", nil))), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"ath of another token", allowed, bound, req("DPoP", proof(key, "GET", apiURI, plain)), authz.ErrDPoPProof, authz.ReasonDPoPProof},
		{"nonce required, absent", nonced, bound, req("DPoP", proof(key, "GET", apiURI, bound)), authz.ErrDPoPNonce, authz.ReasonDPoPNonce},
		{"nonce wrong", nonced, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofNonce("x"))), authz.ErrDPoPNonce, authz.ReasonDPoPNonce},
		{"nonce right", nonced, bound, req("DPoP", proof(key, "GET", apiURI, bound, authztest.WithProofNonce(nonced.DPoPNonce()))), nil, ""},
		{"unknown confirmation method", allowed, mint(t, iss, claims(map[string]any{"jwk": map[string]any{}})), req("Bearer"), authz.ErrTokenBinding, authz.ReasonUnknownBinding},
		{"empty cnf", allowed, mint(t, iss, claims(map[string]any{})), req("Bearer"), authz.ErrTokenBinding, authz.ReasonUnknownBinding},
		{"cnf not an object", allowed, mint(t, iss, claims(nil)) /* placeholder replaced below */, req("Bearer"), nil, ""},
	}
	cnfString := iss.Claims("u", "api")
	cnfString["cnf"] = "jkt"
	cases[len(cases)-1].token, cases[len(cases)-1].want = mint(t, iss, cnfString), authz.ErrClaims
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.ValidateRequest(bg, tc.token, tc.req)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ValidateRequest: %v", err)
				}
				if c == nil {
					t.Fatal("no claims")
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, authz.ErrInvalidToken) {
				t.Fatalf("ValidateRequest = %v, want %v (and ErrInvalidToken)", err, tc.want)
			}
			var ve *authz.ValidationError
			if tc.reason != "" && (!errors.As(err, &ve) || ve.Reason != tc.reason) {
				t.Fatalf("reason = %v, want %s", err, tc.reason)
			}
		})
	}
}

// TestDPoPReplay: a proof is accepted once, by any of two Validators
// sharing one store, and a failing store fails closed unless the local
// fallback is chosen.
func TestDPoPReplay(t *testing.T) {
	iss := authztest.NewT(t)
	key, _ := authztest.NewDPoPKey("EdDSA")
	store := memory.New()
	opts := authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed})
	a := newValidator(t, []authz.Issuer{iss.OIDC("api")}, opts, authz.WithStore(store))
	b := newValidator(t, []authz.Issuer{iss.OIDC("api")}, opts, authz.WithStore(store))
	c := iss.Claims("u", "api")
	c["cnf"] = key.Confirmation()
	tok := mint(t, iss, c)
	p, _ := key.Proof("GET", apiURI, tok)
	r := authz.Request{Scheme: "DPoP", Method: "GET", URI: apiURI, DPoP: []string{p}}
	if _, err := a.ValidateRequest(bg, tok, r); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*authz.Validator{a, b} {
		_, err := v.ValidateRequest(bg, tok, r)
		var ve *authz.ValidationError
		if !errors.As(err, &ve) || ve.Reason != authz.ReasonDPoPReplay {
			t.Fatalf("replay: %v", err)
		}
	}
	// A proof that failed a check is not remembered: its jti stays usable.
	p2, _ := key.Proof("GET", apiURI, tok, authztest.WithProofClaim("jti", "fixed"))
	bad := r
	bad.Method = "POST"
	bad.DPoP = []string{p2}
	if _, err := a.ValidateRequest(bg, tok, bad); !errors.Is(err, authz.ErrDPoPProof) {
		t.Fatal(err)
	}
	r.DPoP = []string{p2}
	if _, err := b.ValidateRequest(bg, tok, r); err != nil {
		t.Fatalf("a jti burnt by a failed proof: %v", err)
	}
}

func mustEC(t *testing.T) *ecdsa.PublicKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}

// jwkOf returns k's public JWK by reading it back from a proof header.
func jwkOf(k *authztest.DPoPKey) map[string]string {
	var jwk map[string]string
	_, _ = k.Proof("GET", apiURI, "x", func(h, _ map[string]any) { jwk = h["jwk"].(map[string]string) })
	return jwk
}

// TestCertificateBound runs RFC 8705 §3: a token bound to a certificate
// needs that certificate.
func TestCertificateBound(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	cert, other := clientCert(t), clientCert(t)
	c := iss.Claims("u", "api")
	c["cnf"] = authztest.CertConfirmation(cert)
	tok := mint(t, iss, c)
	if _, err := v.ValidateRequest(bg, tok, authz.Request{ClientCertificate: cert}); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]authz.Request{"no certificate": {}, "another certificate": {ClientCertificate: other}} {
		_, err := v.ValidateRequest(bg, tok, r)
		var ve *authz.ValidationError
		if !errors.Is(err, authz.ErrTokenBinding) || !errors.As(err, &ve) || ve.Reason != authz.ReasonCertMismatch {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := v.Validate(bg, tok); !errors.Is(err, authz.ErrTokenBinding) {
		t.Fatalf("Validate accepted a certificate-bound token: %v", err)
	}
}

func clientCert(t *testing.T) *x509.Certificate {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestValidateRequestContext: the context hooks and checks receive names
// the request without printing it (a DPoP proof is a credential), and a
// nil context is refused at once, as context.WithValue refuses it.
func TestValidateRequestContext(t *testing.T) {
	iss := authztest.NewT(t)
	var printed string
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground(), authz.WithHooks(authz.Hooks{
		Validate: func(next authz.ValidateFunc) authz.ValidateFunc {
			return func(ctx context.Context, token string) (*authz.Claims, error) {
				printed = fmt.Sprintf("%v %+v %s", ctx, ctx, ctx)
				return next(ctx, token)
			}
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok, _ := iss.Mint(iss.Claims("u", "api"))
	if _, err := v.ValidateRequest(bg, tok, authz.Request{Scheme: "Bearer", Method: "GET", URI: "https://api.example/secret-path", DPoP: []string{"SECRET-PROOF"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(printed, "SECRET") || !strings.Contains(printed, "WithValue(authz.requestKey") {
		t.Fatalf("the context prints as %q", printed)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("ValidateRequest with a nil context did not panic")
		}
	}()
	_, _ = v.ValidateRequest(nil, tok, authz.Request{}) //nolint:staticcheck // the nil context is the test
}
