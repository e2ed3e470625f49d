package authz_test

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestExactParsing replays each finding of the exact-parsing review with a
// token the issuer really signed: every document is read one way, with
// member names compared byte for byte, duplicates and invalid UTF-8
// refused, and scopes split on U+0020 only.
func TestExactParsing(t *testing.T) {
	iss := authztest.NewT(t)
	at := iss.OIDC("api")
	at.Name = "at+jwt"
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	vAT := newValidator(t, []authz.Issuer{func() authz.Issuer { i := iss.OIDC("api"); i.Types = []string{"at+jwt"}; return i }()})
	kid := iss.KeyIDs()[0]
	now := time.Now()
	hdr := fmt.Sprintf(`{"alg":"RS256","kid":%q}`, kid)
	yesterday, later := now.Add(-24*time.Hour).Unix(), now.Add(time.Hour).Unix()
	base := fmt.Sprintf(`"iss":%q,"sub":"u1","exp":%d,"iat":%d`, iss.URL(), later, now.Unix())

	cases := []struct {
		name    string
		v       *authz.Validator
		header  string
		payload string
		wantErr error
		check   func(t *testing.T, c *authz.Claims)
	}{
		{name: "case variants do not override aud, exp, scope",
			payload: fmt.Sprintf(`{"iss":%q,"aud":"other-api","exp":%d,"scope":"read","Aud":"api","EXP":%d,"SCOPE":"admin"}`, iss.URL(), yesterday, later),
			wantErr: authz.ErrInvalidToken},
		{name: "case variant of scope grants nothing, every reader agrees",
			payload: `{` + base + `,"aud":"api","scope":"read","SCOPE":"admin","Scope":"root"}`,
			check: func(t *testing.T, c *authz.Claims) {
				if !slices.Equal(c.Scopes, []string{"read"}) {
					t.Errorf("Scopes = %q, want [read]", c.Scopes)
				}
				if s, _ := c.Lookup("scope"); s != "read" {
					t.Errorf(`Lookup("scope") = %v`, s)
				}
				var d struct {
					Scope string `json:"scope"`
				}
				if err := c.Decode(&d); err != nil || d.Scope != "read" {
					t.Errorf("Decode: %q, %v", d.Scope, err)
				}
			}},
		{name: "long s (U+017F) does not fold to scope",
			payload: `{` + base + `,"aud":"api","ſcope":"admin"}`,
			check: func(t *testing.T, c *authz.Claims) {
				if len(c.Scopes) != 0 {
					t.Errorf("Scopes = %q, want none", c.Scopes)
				}
				var d struct {
					Scope string `json:"scope"`
				}
				if err := c.Decode(&d); err != nil || d.Scope != "" {
					t.Errorf("Decode filled scope from a folded name: %q, %v", d.Scope, err)
				}
			}},
		{name: "ISS does not mask a wrong iss",
			payload: fmt.Sprintf(`{"iss":"https://evil.example","ISS":%q,"aud":"api","exp":%d}`, iss.URL(), later),
			wantErr: authz.ErrUnknownIssuer},
		{name: "NBF does not mask a future nbf",
			payload: `{` + base + fmt.Sprintf(`,"aud":"api","nbf":%d,"NBF":%d}`, later, yesterday),
			wantErr: authz.ErrNotYetValid},
		{name: "duplicate aud refused", payload: `{` + base + `,"aud":"other","aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "duplicate exp refused", payload: `{` + base + fmt.Sprintf(`,"aud":"api","exp":%d}`, later), wantErr: authz.ErrMalformed},
		{name: "duplicate by escape refused", payload: `{` + base + `,"aud":"other","a\u0075d":"api"}`, wantErr: authz.ErrMalformed},
		{name: "duplicate nested member refused", payload: `{` + base + `,"aud":"api","realm_access":{"roles":["a"],"roles":["admin"]}}`, wantErr: authz.ErrMalformed},
		{name: "Typ does not pass an at+jwt issuer", v: vAT, header: fmt.Sprintf(`{"alg":"RS256","kid":%q,"typ":"JWT","Typ":"at+jwt"}`, kid),
			payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrType},
		{name: "at+jwt accepted", v: vAT, header: fmt.Sprintf(`{"alg":"RS256","kid":%q,"typ":"at+jwt"}`, kid), payload: `{` + base + `,"aud":"api"}`},
		{name: "a KID member does not break a good token", header: fmt.Sprintf(`{"alg":"RS256","kid":%q,"KID":"nope"}`, kid), payload: `{` + base + `,"aud":"api"}`},
		{name: "kid null is malformed", header: `{"alg":"RS256","kid":null}`, payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "kid number is malformed", header: `{"alg":"RS256","kid":1}`, payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "kid over 256 bytes is malformed", header: fmt.Sprintf(`{"alg":"RS256","kid":%q}`, strings.Repeat("k", 257)), payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "duplicate alg refused", header: fmt.Sprintf(`{"alg":"none","alg":"RS256","kid":%q}`, kid), payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "ALG is not alg", header: fmt.Sprintf(`{"ALG":"RS256","kid":%q}`, kid), payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "crit refused", header: fmt.Sprintf(`{"alg":"RS256","kid":%q,"crit":["exp"],"exp":1}`, kid), payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrCritical},
		{name: "invalid UTF-8 in a claim", payload: `{` + base + `,"aud":"api","name":"a` + "\xff" + `b"}`, wantErr: authz.ErrMalformed},
		{name: "invalid UTF-8 in the header", header: fmt.Sprintf(`{"alg":"RS256","kid":%q,"x":"`+"\xc3"+`"}`, kid), payload: `{` + base + `,"aud":"api"}`, wantErr: authz.ErrMalformed},
		{name: "lone surrogate escape", payload: `{` + base + `,"aud":"api","name":"\ud800"}`, wantErr: authz.ErrMalformed},
		{name: "tab-separated scope", payload: `{` + base + `,"aud":"api","scope":"read\tadmin"}`, wantErr: authz.ErrClaims},
		{name: "newline-separated scope", payload: `{` + base + `,"aud":"api","scope":"read\nadmin"}`, wantErr: authz.ErrClaims},
		{name: "NBSP-separated scope", payload: `{` + base + `,"aud":"api","scope":"read\u00a0admin"}`, wantErr: authz.ErrClaims},
		{name: "space-separated scope", payload: `{` + base + `,"aud":"api","scope":"read  admin "}`,
			check: func(t *testing.T, c *authz.Claims) {
				if !slices.Equal(c.Scopes, []string{"read", "admin"}) {
					t.Errorf("Scopes = %q", c.Scopes)
				}
			}},
		{name: "scope as array where a string is declared", payload: `{` + base + `,"aud":"api","scope":["admin"]}`, wantErr: authz.ErrClaims},
		{name: "scope as number", payload: `{` + base + `,"aud":"api","scp":7}`, wantErr: authz.ErrClaims},
		{name: "aud array with a number", payload: `{` + base + `,"aud":["api",1]}`, wantErr: authz.ErrClaims},
		{name: "iss as number", payload: fmt.Sprintf(`{"iss":1,"aud":"api","exp":%d}`, later), wantErr: authz.ErrClaims},
		{name: "exp as string", payload: fmt.Sprintf(`{"iss":%q,"aud":"api","exp":"%d"}`, iss.URL(), later), wantErr: authz.ErrClaims},
		{name: "payload not an object", payload: `["iss"]`, wantErr: authz.ErrMalformed},
		{name: "trailing data after the payload", payload: `{` + base + `,"aud":"api"} {}`, wantErr: authz.ErrMalformed},
		{name: "nesting beyond the depth bound", payload: `{` + base + `,"aud":"api","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, wantErr: authz.ErrMalformed},
		{name: "exp beyond float64", payload: fmt.Sprintf(`{"iss":%q,"aud":"api","exp":1e400}`, iss.URL()), wantErr: authz.ErrClaims},
		{name: "exp in exponent form", payload: fmt.Sprintf(`{"iss":%q,"aud":"api","exp":%d.0e0}`, iss.URL(), later)},
		{name: "exp with leading zero", payload: fmt.Sprintf(`{"iss":%q,"aud":"api","exp":0%d}`, iss.URL(), later), wantErr: authz.ErrMalformed},
		{name: "good token", payload: `{` + base + `,"aud":"api","scope":"read"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == "" {
				h = hdr
			}
			tok, err := iss.MintRaw("RS256", []byte(h), []byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			val := tc.v
			if val == nil {
				val = v
			}
			c, err := val.Validate(bg, tok)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if tc.check != nil {
					tc.check(t, c)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Validate = %v, want %v", err, tc.wantErr)
			}
			if !errors.Is(err, authz.ErrInvalidToken) {
				t.Fatalf("%v does not match ErrInvalidToken (401)", err)
			}
			if strings.Contains(err.Error(), "admin") || strings.Contains(err.Error(), "evil") {
				t.Fatalf("error carries token contents: %v", err)
			}
		})
	}
}

// TestTokenAlphabet: a token is the base64url alphabet and two dots,
// nothing else — a newline in the signature would otherwise be skipped by
// the decoder and give one token two spellings.
func TestTokenAlphabet(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	tok := mint(t, iss, iss.Claims("u", "api"))
	if _, err := v.Validate(bg, tok); err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(tok, '.')
	for _, bad := range []string{
		tok[:i+5] + "\n" + tok[i+5:], tok[:i+5] + "\r\n" + tok[i+5:], tok[:10] + "\n" + tok[10:],
		tok + "=", tok[:i+1] + strings.ReplaceAll(strings.ReplaceAll(tok[i+1:], "-", "+"), "_", "/"),
		" " + tok, tok + " ", tok + ".",
	} {
		if bad == tok {
			continue
		}
		if _, err := v.Validate(bg, bad); !errors.Is(err, authz.ErrMalformed) {
			t.Errorf("Validate(%q…) = %v, want ErrMalformed", bad[max(0, i-4):min(len(bad), i+12)], err)
		}
	}
}

// TestExactKeySets: a JWK Set and each JWK are read exactly too.
func TestExactKeySets(t *testing.T) {
	k1, k2 := mustRSA(t, 2048), mustRSA(t, 2048)
	jwk := func(k *rsa.PrivateKey, extra string) string {
		return fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"%s}`, base64.RawURLEncoding.EncodeToString(k.N.Bytes()), extra)
	}
	priv := func(k *rsa.PrivateKey) string {
		return fmt.Sprintf(`,"d":%q`, base64.RawURLEncoding.EncodeToString(k.D.Bytes()))
	}
	now := time.Now()
	cases := []struct {
		name    string
		jwks    string
		alg     string
		signer  *rsa.PrivateKey
		kid     string
		wantErr error
	}{
		{name: "good", jwks: `{"keys":[` + jwk(k1, `,"kid":"a","alg":"RS256"`) + `]}`, alg: "RS256", signer: k1, kid: "a"},
		{name: "ALG does not override alg", jwks: `{"keys":[` + jwk(k1, `,"kid":"a","alg":"PS256","ALG":"RS256"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
		{name: "KEYS is not keys", jwks: `{"keys":[` + jwk(k2, `,"kid":"b"`) + `],"KEYS":[` + jwk(k1, `,"kid":"a"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
		{name: "duplicate keys member refuses the set", jwks: `{"keys":[` + jwk(k2, `,"kid":"b"`) + `],"keys":[` + jwk(k1, `,"kid":"a"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrKeysUnavailable},
		{name: "duplicate member in a JWK refuses the set", jwks: `{"keys":[` + jwk(k1, `,"kid":"a","kid":"a"`) + `,` + jwk(k2, `,"kid":"b"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrKeysUnavailable},
		{name: "key_ops without verify ignores the key", jwks: `{"keys":[` + jwk(k1, `,"kid":"a","key_ops":["encrypt"]`) + `,` + jwk(k2, `,"kid":"b"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
		{name: "key_ops with verify", jwks: `{"keys":[` + jwk(k1, `,"kid":"a","key_ops":["verify"]`) + `]}`, alg: "RS256", signer: k1, kid: "a"},
		{name: "use enc ignores the key", jwks: `{"keys":[` + jwk(k1, `,"kid":"a","use":"enc"`) + `,` + jwk(k2, `,"kid":"b"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
		{name: "a private JWK is never used, not even its public half", jwks: `{"keys":[` + jwk(k1, `,"kid":"a"`+priv(k1)) + `,` + jwk(k2, `,"kid":"b"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
		{name: "two keys under one kid: the second is tried", jwks: `{"keys":[` + jwk(k2, `,"kid":"a"`) + `,` + jwk(k1, `,"kid":"a"`) + `]}`, alg: "RS256", signer: k1, kid: "a"},
		{name: "two keys under one kid: neither signed", jwks: `{"keys":[` + jwk(k2, `,"kid":"a"`) + `,` + jwk(k2, `,"kid":"a","use":"sig"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrSignature},
		{name: "even exponent ignored", jwks: `{"keys":[` + strings.Replace(jwk(k1, `,"kid":"a"`), `"e":"AQAB"`, `"e":"AQAC"`, 1) + `,` + jwk(k2, `,"kid":"b"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
		{name: "KTY is not kty", jwks: `{"keys":[` + strings.Replace(jwk(k1, `,"kid":"a"`), `"kty"`, `"KTY"`, 1) + `,` + jwk(k2, `,"kid":"b"`) + `]}`, alg: "RS256", signer: k1, kid: "a", wantErr: authz.ErrUnknownKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, []byte(tc.jwks))
			is := authz.Issuer{URL: "https://issuer.example", JWKSURL: srv.URL, Audiences: []string{"api"}}
			v := newValidator(t, []authz.Issuer{is})
			payload := fmt.Sprintf(`{"iss":"https://issuer.example","aud":"api","exp":%d}`, now.Add(time.Hour).Unix())
			tok := signRS256(t, tc.signer, fmt.Sprintf(`{"alg":%q,"kid":%q}`, tc.alg, tc.kid), payload)
			_, err := v.Validate(bg, tok)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Validate = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestExactDiscovery: a discovery document's members are read exactly, and
// an attacker's URL in a case variant is never fetched.
func TestExactDiscovery(t *testing.T) {
	var evil atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { evil.Add(1) }))
	t.Cleanup(attacker.Close)
	for _, tc := range []struct {
		name string
		doc  func(issuer, jwks string) string
	}{
		{"JWKS_URI", func(i, j string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q,"JWKS_URI":%q}`, i, j, attacker.URL)
		}},
		{"JWKS_URI only", func(i, j string) string { return fmt.Sprintf(`{"issuer":%q,"JWKS_URI":%q}`, i, attacker.URL) }},
		{"ISSUER", func(i, j string) string {
			return fmt.Sprintf(`{"issuer":"https://other.example","ISSUER":%q,"jwks_uri":%q}`, i, attacker.URL)
		}},
		{"duplicate jwks_uri", func(i, j string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q,"jwks_uri":%q}`, i, j, attacker.URL)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tc.doc(srv.URL, srv.URL+"/jwks")))
			}))
			t.Cleanup(srv.Close)
			v := newValidator(t, []authz.Issuer{authz.OIDC(srv.URL, "api")})
			_ = v.Warm(bg)
			if n := evil.Load(); n != 0 {
				t.Fatalf("the attacker's URL was fetched %d times", n)
			}
		})
	}
}

// signRS256 signs raw header and payload bytes with k.
func signRS256(t *testing.T, k *rsa.PrivateKey, header, payload string) string {
	t.Helper()
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := rsaSign(k, in)
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestUserAgent: key fetches name jwtguard, or what WithUserAgent says.
func TestUserAgent(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("User-Agent"))
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	is := authz.Issuer{URL: "https://issuer.example", JWKSURL: srv.URL, Audiences: []string{"api"}}
	for _, tc := range []struct {
		opt  []authz.Option
		want string
	}{
		{nil, "jwtguard/" + authz.Version},
		{[]authz.Option{authz.WithUserAgent("acme-api/1.2 (ops@example.com)")}, "acme-api/1.2 (ops@example.com)"},
	} {
		v := newValidator(t, []authz.Issuer{is}, tc.opt...)
		_ = v.Warm(bg)
		if g, _ := got.Load().(string); g != tc.want {
			t.Errorf("User-Agent %q, want %q", g, tc.want)
		}
	}
	for _, bad := range []string{"", "a\nb", strings.Repeat("x", 257), "é"} {
		if _, err := authz.New([]authz.Issuer{is}, authz.WithUserAgent(bad)); err == nil {
			t.Errorf("WithUserAgent(%q) accepted", bad)
		}
	}
}
