package authz_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestValidateAttacks runs the known JWT attack catalogue and the standard
// claim checks against one issuer.
func TestValidateAttacks(t *testing.T) {
	iss := authztest.NewT(t)
	other := authztest.NewT(t) // issuer B, whose keys must never verify A's tokens
	for _, alg := range []string{"ES256", "EdDSA"} {
		if _, err := iss.Rotate(alg); err != nil {
			t.Fatal(err)
		}
	}
	v := newValidator(t, []authz.Issuer{iss.OIDC("api"), other.OIDC("api")})

	rsKid := iss.KeyIDs()[0]
	rsPub := iss.PublicKey(rsKid).(*rsa.PublicKey)
	esKid := iss.KeyIDs()[1]
	good := iss.Claims("user-1", "api")
	goodTok := mint(t, iss, good)
	parts := strings.Split(goodTok, ".")

	with := func(mod func(map[string]any)) map[string]any {
		c := iss.Claims("user-1", "api")
		mod(c)
		return c
	}
	hs256 := func(secret []byte) string {
		h := map[string]any{"alg": "HS256", "typ": "JWT", "kid": rsKid}
		in := b64(h) + "." + b64(good)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(rsPub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: rsPub, KeyID: rsKid})

	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	attackerJWK := jose.JSONWebKey{Key: &attacker.PublicKey, KeyID: rsKid}
	var jkuHits atomic.Int64
	jku := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jkuHits.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{attackerJWK}})
	}))
	defer jku.Close()
	signAttacker := func(headers map[string]any) string {
		tok, err := authztest.Sign(mustJSON(good), "RS256", attacker, rsKid, "", headers)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cert := selfSigned(t, attacker)

	flipped := []byte(parts[2])
	flipped[10] ^= 0x01
	if flipped[10] == parts[2][10] {
		t.Fatal("bit flip did nothing")
	}
	sigBytes, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sigBytes[len(sigBytes)/2] ^= 0x80
	tampered := with(func(c map[string]any) { c["sub"] = "admin" })

	tests := []struct {
		name       string
		token      string
		wantErr    error
		wantReason authz.Reason
	}{
		{"valid", goodTok, nil, ""},
		{"empty", "", authz.ErrMissingToken, authz.ReasonMissing},
		{"alg none", rawToken(map[string]any{"alg": "none"}, good, nil), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"alg None", rawToken(map[string]any{"alg": "None"}, good, nil), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"alg nOnE", rawToken(map[string]any{"alg": "nOnE", "typ": "JWT"}, good, nil), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"alg RS256 without signature", rawToken(map[string]any{"alg": "RS256", "kid": rsKid}, good, nil), authz.ErrMalformed, authz.ReasonMalformed},
		{"alg NONE with sig", rawToken(map[string]any{"alg": "NONE"}, good, []byte("x")), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"alg none with sig", rawToken(map[string]any{"alg": "none"}, good, []byte("x")), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"alg missing", rawToken(map[string]any{"kid": rsKid}, good, []byte("x")), authz.ErrMalformed, authz.ReasonMalformed},
		{"alg not a string", rawToken(map[string]any{"alg": 1}, good, []byte("x")), authz.ErrMalformed, authz.ReasonMalformed},
		{"HS256 keyed with public key PEM", hs256(pubPEM), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"HS256 keyed with public key JWK", hs256(pubJWK), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"HS256 keyed with DER", hs256(pubDER), authz.ErrAlgorithm, authz.ReasonAlgorithm},
		{"embedded jwk", signAttacker(map[string]any{"jwk": attackerJWK}), authz.ErrSignature, authz.ReasonSignature},
		{"jku", signAttacker(map[string]any{"jku": jku.URL}), authz.ErrSignature, authz.ReasonSignature},
		{"x5u", signAttacker(map[string]any{"x5u": jku.URL}), authz.ErrSignature, authz.ReasonSignature},
		{"x5c", signAttacker(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(cert)}}), authz.ErrSignature, authz.ReasonSignature},
		{"unknown crit", mint(t, iss, good, authztest.WithHeader("crit", []string{"exp"}), authztest.WithHeader("exp", 1)), authz.ErrCritical, authz.ReasonCritical},
		{"crit b64", mint(t, iss, good, authztest.WithHeader("crit", []string{"b64"}), authztest.WithHeader("b64", false)), authz.ErrCritical, authz.ReasonCritical},
		{"empty crit", mint(t, iss, good, authztest.WithHeader("crit", []string{})), authz.ErrCritical, authz.ReasonCritical},
		{"flipped signature bit (base64)", parts[0] + "." + parts[1] + "." + string(flipped), authz.ErrInvalidToken, ""},
		{"flipped signature bit (raw)", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sigBytes), authz.ErrSignature, authz.ReasonSignature},
		{"signature removed", parts[0] + "." + parts[1] + ".", authz.ErrMalformed, authz.ReasonMalformed},
		{"signature and dot removed", parts[0] + "." + parts[1], authz.ErrMalformed, authz.ReasonMalformed},
		{"tampered payload", parts[0] + "." + b64(tampered) + "." + parts[2], authz.ErrSignature, authz.ReasonSignature},
		{"ECDSA r=s=0", rawToken(map[string]any{"alg": "ES256", "kid": esKid}, good, make([]byte, 64)), authz.ErrSignature, authz.ReasonSignature},
		{"ECDSA wrong length", rawToken(map[string]any{"alg": "ES256", "kid": esKid}, good, make([]byte, 63)), authz.ErrSignature, authz.ReasonSignature},
		{"signed by issuer B claiming A", mint(t, other, good), authz.ErrSignature, authz.ReasonSignature},
		{"unknown kid", mint(t, iss, good, authztest.WithKeyID("nope")), authz.ErrUnknownKey, authz.ReasonUnknownKey},
		{"forged with unpublished key", mint(t, iss, good, authztest.WithUnpublishedKey()), authz.ErrSignature, authz.ReasonSignature},
		{"2 parts", parts[0] + "." + parts[1], authz.ErrMalformed, authz.ReasonMalformed},
		{"4 parts", goodTok + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"5 parts", goodTok + ".a.b", authz.ErrMalformed, authz.ReasonMalformed},
		{"1 part", "abc", authz.ErrMalformed, authz.ReasonMalformed},
		{"dots only", "..", authz.ErrMalformed, authz.ReasonMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(parts[0]) + "+." + parts[1] + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"header not an object", b64(`["RS256"]`) + "." + parts[1] + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"payload not an object", parts[0] + "." + b64(`"hello"`) + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"payload null", parts[0] + "." + b64(`null`) + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"payload bad json", parts[0] + "." + b64(`{"iss":`) + "." + parts[2], authz.ErrMalformed, authz.ReasonMalformed},
		{"oversized", parts[0] + "." + b64(with(func(c map[string]any) { c["pad"] = strings.Repeat("x", authz.DefaultMaxTokenSize) })) + "." + parts[2], authz.ErrMalformed, authz.ReasonTooLarge},
		{"exp missing", mint(t, iss, with(func(c map[string]any) { delete(c, "exp") })), authz.ErrClaims, authz.ReasonMissingExp},
		{"exp null", mint(t, iss, with(func(c map[string]any) { c["exp"] = nil })), authz.ErrClaims, authz.ReasonMissingExp},
		{"exp as string", mint(t, iss, with(func(c map[string]any) { c["exp"] = "9999999999" })), authz.ErrClaims, authz.ReasonClaims},
		{"exp as bool", mint(t, iss, with(func(c map[string]any) { c["exp"] = true })), authz.ErrClaims, authz.ReasonClaims},
		{"expired", mint(t, iss, with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), authz.ErrExpired, authz.ReasonExpired},
		{"expired within leeway", mint(t, iss, with(func(c map[string]any) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() })), nil, ""},
		{"nbf in future", mint(t, iss, with(func(c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), authz.ErrNotYetValid, authz.ReasonNotYetValid},
		{"nbf within leeway", mint(t, iss, with(func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Second).Unix() })), nil, ""},
		{"iat in future", mint(t, iss, with(func(c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() })), authz.ErrNotYetValid, authz.ReasonIssuedInFuture},
		{"nbf as string", mint(t, iss, with(func(c map[string]any) { c["nbf"] = "0" })), authz.ErrClaims, authz.ReasonClaims},
		{"aud missing", mint(t, iss, with(func(c map[string]any) { delete(c, "aud") })), authz.ErrAudience, authz.ReasonAudience},
		{"aud wrong", mint(t, iss, with(func(c map[string]any) { c["aud"] = "other" })), authz.ErrAudience, authz.ReasonAudience},
		{"aud array with match", mint(t, iss, with(func(c map[string]any) { c["aud"] = []string{"x", "api"} })), nil, ""},
		{"aud array without match", mint(t, iss, with(func(c map[string]any) { c["aud"] = []string{"x", "API"} })), authz.ErrAudience, authz.ReasonAudience},
		{"aud number", mint(t, iss, with(func(c map[string]any) { c["aud"] = 5 })), authz.ErrClaims, authz.ReasonClaims},
		{"iss missing", mint(t, iss, with(func(c map[string]any) { delete(c, "iss") })), authz.ErrUnknownIssuer, authz.ReasonUnknownIssuer},
		{"iss unknown", mint(t, iss, with(func(c map[string]any) { c["iss"] = "https://evil.example" })), authz.ErrUnknownIssuer, authz.ReasonUnknownIssuer},
		{"iss with trailing slash", mint(t, iss, with(func(c map[string]any) { c["iss"] = iss.URL() + "/" })), authz.ErrUnknownIssuer, authz.ReasonUnknownIssuer},
		{"iss not a string", mint(t, iss, with(func(c map[string]any) { c["iss"] = 7 })), authz.ErrClaims, authz.ReasonClaims},
		{"scope not a string", mint(t, iss, with(func(c map[string]any) { c["scope"] = 7 })), authz.ErrClaims, authz.ReasonClaims},
		{"ES256", mint(t, iss, good, authztest.WithAlg("ES256")), nil, ""},
		{"EdDSA", mint(t, iss, good, authztest.WithAlg("EdDSA")), nil, ""},
		{"ES256 key with RS256 alg header", rawToken(map[string]any{"alg": "RS256", "kid": esKid}, good, []byte("sig")), authz.ErrUnknownKey, authz.ReasonUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Validate(bg, tt.token)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if c.Subject != "user-1" || c.Issuer != iss.URL() {
					t.Fatalf("claims = %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted the token, want %v", tt.wantErr)
			}
			if c != nil {
				t.Fatalf("claims returned with error")
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var ve *authz.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err %T is not a *ValidationError", err)
			}
			if tt.wantReason != "" && ve.Reason != tt.wantReason {
				t.Fatalf("reason = %s, want %s", ve.Reason, tt.wantReason)
			}
			if tt.wantErr != authz.ErrMissingToken && !errors.Is(err, authz.ErrInvalidToken) {
				t.Fatalf("err does not match ErrInvalidToken")
			}
			if errors.Is(err, authz.ErrKeysUnavailable) {
				t.Fatalf("token error matches ErrKeysUnavailable")
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token[:min(len(tt.token), 40)]) {
				t.Fatalf("error echoes the token")
			}
		})
	}
	if n := jkuHits.Load(); n != 0 {
		t.Fatalf("jku/x5u URL was fetched %d times", n)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func selfSigned(t *testing.T, k *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestKeyBoundToIssuer: a kid shared by two issuers resolves to each
// issuer's own key only.
func TestKeyBoundToIssuer(t *testing.T) {
	a, b := authztest.NewT(t), authztest.NewT(t)
	if a.KeyIDs()[0] != b.KeyIDs()[0] {
		t.Fatalf("test needs the same kid at both issuers: %v %v", a.KeyIDs(), b.KeyIDs())
	}
	v := newValidator(t, []authz.Issuer{a.OIDC("api"), b.OIDC("api")})
	for _, tc := range []struct {
		name    string
		signer  *authztest.Issuer
		iss     string
		wantErr error
	}{
		{"A signs as A", a, a.URL(), nil},
		{"B signs as B", b, b.URL(), nil},
		{"B signs as A", b, a.URL(), authz.ErrSignature},
		{"A signs as B", a, b.URL(), authz.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.signer.Claims("u", "api")
			c["iss"] = tc.iss
			_, err := v.Validate(bg, mint(t, tc.signer, c))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestWeakAndUnusableKeys: RSA-1024 and unusable keys are ignored without
// losing the rest of the set.
func TestWeakAndUnusableKeys(t *testing.T) {
	strong := mustRSA(t, 2048)
	weak := mustRSA(t, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	keys := []any{
		jose.JSONWebKey{Key: &strong.PublicKey, KeyID: "strong", Use: "sig"},
		jose.JSONWebKey{Key: &weak.PublicKey, KeyID: "weak"},
		jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "enc", Use: "enc"},
		jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "es-as-rs", Algorithm: "RS256"},
		jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac"},
		map[string]any{"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
		map[string]any{"kty": "XYZ", "kid": "alien"},
		"not an object",
		jose.JSONWebKey{Key: ed.Public(), KeyID: "ed", Algorithm: "EdDSA"},
	}
	srv := newJWKSServer(t, mustJSON(map[string]any{"keys": keys}))
	const issURL = "https://issuer.example"
	is := authz.Issuer{URL: issURL, Audiences: []string{"api"}, JWKSURL: srv.URL}
	v := newValidator(t, []authz.Issuer{is})
	claims := map[string]any{"iss": issURL, "aud": "api", "exp": time.Now().Add(time.Hour).Unix()}
	sign := func(alg string, k any, kid string) string {
		tok, err := authztest.Sign(mustJSON(claims), alg, k.(interface {
			Public() crypto.PublicKey
			Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error)
		}), kid, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{"strong RSA", sign("RS256", strong, "strong"), nil},
		{"weak RSA-1024", sign("RS256", weak, "weak"), authz.ErrUnknownKey},
		{"enc-use key", sign("ES256", ec, "enc"), authz.ErrUnknownKey},
		{"alg mismatch key", sign("ES256", ec, "es-as-rs"), authz.ErrUnknownKey},
		{"ed25519", sign("EdDSA", ed, "ed"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Validate(bg, tt.token)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
