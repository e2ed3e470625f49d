package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authztest"
)

const audience = "https://api.example.com"

// jwtguard runs the command in-process.
func jwtguard(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVerify(t *testing.T) {
	idp := authztest.NewT(t)
	now := time.Now()
	// mint builds the quickstart's token (alice, read:messages) and edits it.
	mint := func(edit func(map[string]any), opts ...authztest.TokenOption) string {
		c := idp.Claims("alice", audience)
		c["scope"] = "read:messages"
		if edit != nil {
			edit(c)
		}
		return idp.MustMint(t, c, opts...)
	}
	oidc := []string{"--issuer", idp.URL(), "--audience", audience}
	descope := []string{"--preset", "descope", "--project", "P123", "--base-url", idp.URL(), "--jwks-url", idp.JWKSURL()}
	descopeToken := func(drn string) string {
		c := idp.Claims("alice")
		c["iss"] = idp.URL() + "/P123"
		c["drn"] = drn
		return idp.MustMint(t, c)
	}

	tests := []struct {
		name     string
		args     []string
		token    string
		wantCode int
		want     []string // substrings of stdout
	}{
		{"quickstart good token", oidc, mint(nil), 0, []string{"VALID: issuer " + idp.URL(), "scopes: read:messages", `"sub": "alice"`, "expires in 59 min"}},
		{"quickstart expired token", oidc, mint(func(c map[string]any) {
			c["iat"] = now.Add(-2 * time.Hour).Unix()
			c["exp"] = now.Add(-time.Hour).Unix()
		}), 1, []string{"REJECTED: expired", "check:  time: exp", "expired at", "1 h ago", "Get a new token", "expired 1 h ago"}},
		{"quickstart forged token", oidc, mint(nil, authztest.WithUnpublishedKey()), 1, []string{"REJECTED: bad_signature", "altered after signing", "forged"}},
		{"quickstart missing scope", append([]string{"--scope", "read:messages"}, oidc...), mint(func(c map[string]any) { c["scope"] = "write:messages" }), 1,
			[]string{"REJECTED: forbidden", `does not grant scope "read:messages"`, "its scopes: write:messages"}},
		{"quickstart no token", oidc, "", 64, nil},
		{"issuer differs by a trailing slash", []string{"--issuer", idp.URL() + "/", "--audience", audience}, mint(nil), 1,
			[]string{"REJECTED: unknown_issuer", "only by a trailing slash", "configure " + `"` + idp.URL() + `"`}},
		{"issuer lacks the trailing slash (Auth0)", []string{"--issuer", strings.TrimSuffix(idp.URL(), "/"), "--audience", audience}, mint(func(c map[string]any) { c["iss"] = idp.URL() + "/" }), 1,
			[]string{"REJECTED: unknown_issuer", "only by a trailing slash", "--preset auth0"}},
		{"issuer unknown", []string{"--issuer", "https://other.example.com", "--audience", audience}, mint(nil), 1,
			[]string{"REJECTED: unknown_issuer", "is not a configured issuer", "another tenant"}},
		{"audience is a client ID", []string{"--issuer", idp.URL(), "--audience", "my-api"}, mint(func(c map[string]any) { c["aud"] = []string{"client-123", "other"} }), 1,
			[]string{"REJECTED: bad_audience", `the token's aud is ["client-123", "other"]`, `["my-api"]`, "client ID", `--audience "client-123"`}},
		{"kid not in the key set", oidc, mint(nil, authztest.WithKeyID("rotated-away")), 1,
			[]string{"REJECTED: unknown_key", `kid "rotated-away" is not in the issuer's current key set`, `publishes ["RS256-1"]`, "rotated out"}},
		{"descope refresh token", descope, descopeToken("DSR"), 1, []string{"REJECTED: invalid_claims", "Descope refresh token", "session token"}},
		{"descope session token", descope, descopeToken("DS"), 0, []string{"VALID: issuer descope:P123"}},
		{"clock skew on iat", oidc, mint(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }), 1,
			[]string{"REJECTED: issued_in_future", "clock skew of about 4 min", "NTP", "--leeway 5m"}},
		{"clock skew on nbf", oidc, mint(func(c map[string]any) { c["nbf"] = now.Add(2 * time.Hour).Unix() }), 1,
			[]string{"REJECTED: not_yet_valid", "becomes valid", "clock skew of about 1 h 59 min"}},
		{"skew absorbed by leeway", append([]string{"--leeway", "10m"}, oidc...), mint(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }), 0, []string{"VALID"}},
		{"no exp", oidc, mint(func(c map[string]any) { delete(c, "exp") }), 1, []string{"REJECTED: missing_exp", "requires every token to expire"}},
		{"unsigned token", oidc, unsigned(t, `{"alg":"none"}`, idp.URL()), 1, []string{"REJECTED: alg_not_allowed", `unsigned (alg "none")`}},
		{"HMAC token", oidc, unsigned(t, `{"alg":"HS256"}`, idp.URL()) + "c2ln", 1, []string{"REJECTED: alg_not_allowed", "HS256, a shared secret", "RS256"}},
		{"opaque token", oidc, "abcdef0123456789", 1, []string{"REJECTED: malformed", "opaque access token"}},
		{"encrypted token", oidc, "a.b.c.d.e", 1, []string{"REJECTED: malformed", "JWE", "audience="}},
		{"type required", []string{"--config", writeFile(t, "issuers:\n  - issuer: "+idp.URL()+"\n    audiences: ["+audience+"]\n    types: [at+jwt]\nrules:\n  - paths: ['*']\n")}, mint(nil, authztest.WithType("JWT")), 1,
			[]string{"REJECTED: bad_type", `typ is "JWT"`, "at+jwt"}},
		{"bearer prefix is ignored", oidc, "Bearer " + mint(nil), 0, []string{"VALID"}},
		{"usage: oidc without issuer", []string{"--audience", "x"}, mint(nil), 64, nil},
		{"usage: unknown preset", []string{"--preset", "nope"}, mint(nil), 64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := jwtguard(t, tt.token, append([]string{"verify"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tt.token != "" && len(tt.token) > 40 && strings.Contains(out+errOut, tt.token) {
				t.Errorf("output echoes the token")
			}
		})
	}
}

func TestVerifyKeysUnavailable(t *testing.T) {
	idp := authztest.NewT(t)
	tok := idp.MustMint(t, idp.Claims("alice", audience))
	idp.SetFailure(authztest.Fail5xx)
	code, out, _ := jwtguard(t, tok, "verify", "--issuer", idp.URL(), "--audience", audience, "--timeout", "3s")
	if code != exitUnavailable {
		t.Fatalf("exit %d, want %d\n%s", code, exitUnavailable, out)
	}
	for _, w := range []string{"REJECTED: keys_unavailable", "could not be fetched", "503"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
}

func TestInspect(t *testing.T) {
	idp := authztest.NewT(t)
	c := idp.Claims("alice", audience)
	c["iat"] = time.Now().Add(-4 * time.Hour).Unix()
	c["exp"] = time.Now().Add(-3 * time.Hour).Unix()
	tok := idp.MustMint(t, c)
	dup, err := idp.MintRaw("RS256", []byte(`{"alg":"RS256"}`), []byte(`{"sub":"alice","sub":"admin"}`))
	if err != nil {
		t.Fatal(err)
	}
	jwks := idp.JWKSRequests()
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []string
	}{
		{"argument", []string{tok}, "", 0, []string{"NOT VERIFIED", `"alg": "RS256"`, `"kid": "RS256-1"`, `"sub": "alice"`, "expired 3 h ago", "issued 4 h ago"}},
		{"stdin", []string{"-"}, "Bearer " + tok + "\n", 0, []string{"NOT VERIFIED", "expired 3 h ago"}},
		{"stdin without argument", nil, tok, 0, []string{"NOT VERIFIED"}},
		{"not a jwt", []string{"x.y"}, "", 1, nil},
		{"duplicate claim: shown as the Validator reads it, refused", []string{dup}, "", 1, nil},
		{"empty", nil, "", 64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := jwtguard(t, tt.stdin, append([]string{"inspect"}, tt.args...)...)
			if tt.args != nil && tt.args[0] == dup && !strings.Contains(errOut+out, "not strict JSON") {
				t.Errorf("duplicate member not reported:\n%s%s", out, errOut)
			}
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if n := idp.JWKSRequests(); n != jwks {
		t.Errorf("inspect fetched the JWKS %d times; it must fetch nothing", n-jwks)
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"exp", -3 * time.Hour, "expired 3 h ago"},
		{"exp", 90 * time.Second, "expires in 1 min"},
		{"exp", 25*time.Hour + 5*time.Minute, "expires in 25 h 5 min"},
		{"exp", -72 * time.Hour, "expired 3 d ago"},
		{"iat", -42 * time.Second, "issued 42 s ago"},
		{"iat", 2 * time.Minute, "issued 2 min in the future: a clock is off"},
		{"nbf", 10 * time.Minute, "not valid for another 10 min"},
	}
	for _, tt := range tests {
		if got := relative(tt.name, now.Add(tt.d), now); got != tt.want {
			t.Errorf("relative(%s, %v) = %q, want %q", tt.name, tt.d, got, tt.want)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/jwtguard.yaml"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// unsigned builds header.payload. (no signature) for a token of iss.
func unsigned(t *testing.T, header, iss string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	payload := fmt.Sprintf(`{"iss":%q,"sub":"alice","aud":%q,"exp":%d}`, iss, audience, time.Now().Add(time.Hour).Unix())
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "."
}
