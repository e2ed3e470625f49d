package authz_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

func TestPresetShapes(t *testing.T) {
	tests := []struct {
		name string
		got  authz.Issuer
		want authz.Issuer
	}{
		{
			name: "auth0 domain",
			got:  authz.Auth0("example.us.auth0.com", "https://api.example.com"),
			want: authz.Issuer{Name: "auth0:example.us.auth0.com", URL: "https://example.us.auth0.com/", Audiences: []string{"https://api.example.com"},
				JWKSURL: "https://example.us.auth0.com/.well-known/jwks.json", ScopeClaims: []string{"scope", "permissions"}},
		},
		{
			name: "auth0 custom domain given as URL",
			got:  authz.Auth0("https://login.example.com/", "api"),
			want: authz.Issuer{Name: "auth0:login.example.com", URL: "https://login.example.com/", Audiences: []string{"api"},
				JWKSURL: "https://login.example.com/.well-known/jwks.json", ScopeClaims: []string{"scope", "permissions"}},
		},
		{
			name: "oidc",
			got:  authz.OIDC("https://idp.example.com/realms/acme", "api"),
			want: authz.Issuer{URL: "https://idp.example.com/realms/acme", Audiences: []string{"api"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Fatalf("preset (-want +got):\n%s", diff)
			}
		})
	}
	d := authz.Descope("P2abc")
	if d.URL != "https://api.descope.com/P2abc" || d.JWKSURL != "https://api.descope.com/P2abc/.well-known/jwks.json" ||
		!cmp.Equal(d.Aliases, []string{"https://api.descope.com/v1/apps/P2abc", "P2abc"}) || !d.InsecureSkipAudience || d.Check == nil {
		t.Fatalf("Descope preset = %+v", d)
	}
	d = authz.DescopeAt("https://auth.example.com/", "P2abc", "P2abc")
	if d.URL != "https://auth.example.com/P2abc" || d.JWKSURL != "https://auth.example.com/P2abc/.well-known/jwks.json" || d.InsecureSkipAudience {
		t.Fatalf("DescopeAt preset = %+v", d)
	}
}

// TestPresetsEndToEnd validates tokens shaped like each IdP's, with the
// preset's keys URL pointed at a local test issuer.
func TestPresetsEndToEnd(t *testing.T) {
	idp := authztest.NewT(t)
	auth0 := authz.Auth0("tenant.auth0.com", "https://api.example.com")
	auth0.JWKSURL = idp.JWKSURL()
	descope := authz.Descope("P2proj")
	descope.JWKSURL = idp.JWKSURL()
	descopeAud := authz.DescopeAt("https://auth.example.com", "P2aud", "P2aud")
	descopeAud.JWKSURL = idp.JWKSURL()
	rfc9068 := authz.OIDC(idp.URL(), "api")
	rfc9068.Types = []string{"at+jwt"}
	v := newValidator(t, []authz.Issuer{auth0, descope, descopeAud})
	v9068 := newValidator(t, []authz.Issuer{rfc9068})

	claims := func(kv ...any) map[string]any {
		c := idp.Claims("user-1")
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
				continue
			}
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	tests := []struct {
		name       string
		v          *authz.Validator
		claims     map[string]any
		opts       []authztest.TokenOption
		wantErr    error
		wantScopes []string
	}{
		{name: "auth0 aud string", v: v, claims: claims("iss", "https://tenant.auth0.com/", "aud", "https://api.example.com", "scope", "read:messages write:messages"),
			wantScopes: []string{"read:messages", "write:messages"}},
		{name: "auth0 aud array with userinfo", v: v, claims: claims("iss", "https://tenant.auth0.com/", "aud", []string{"https://api.example.com", "https://tenant.auth0.com/userinfo"}, "scope", "openid", "permissions", []string{"read:messages"}),
			wantScopes: []string{"openid", "read:messages"}},
		{name: "auth0 issuer without trailing slash", v: v, claims: claims("iss", "https://tenant.auth0.com", "aud", "https://api.example.com"), wantErr: authz.ErrUnknownIssuer},
		{name: "auth0 wrong audience", v: v, claims: claims("iss", "https://tenant.auth0.com/", "aud", "https://other.example.com"), wantErr: authz.ErrAudience},
		{name: "descope url issuer", v: v, claims: claims("iss", "https://api.descope.com/P2proj", "drn", "DS", "roles", []string{"admin"})},
		{name: "descope v1/apps issuer", v: v, claims: claims("iss", "https://api.descope.com/v1/apps/P2proj", "drn", "DS")},
		{name: "descope bare project issuer", v: v, claims: claims("iss", "P2proj")},
		{name: "descope refresh token", v: v, claims: claims("iss", "https://api.descope.com/P2proj", "drn", "DSR"), wantErr: authz.ErrClaims},
		{name: "descope other project", v: v, claims: claims("iss", "https://api.descope.com/P2other"), wantErr: authz.ErrUnknownIssuer},
		{name: "descope custom domain with aud", v: v, claims: claims("iss", "https://auth.example.com/v1/apps/P2aud", "aud", []string{"P2aud"})},
		{name: "descope custom domain aud missing", v: v, claims: claims("iss", "https://auth.example.com/P2aud"), wantErr: authz.ErrAudience},
		{name: "rfc9068 at+jwt", v: v9068, claims: claims("aud", "api"), opts: []authztest.TokenOption{authztest.WithType("at+jwt")}},
		{name: "rfc9068 application/at+jwt", v: v9068, claims: claims("aud", "api"), opts: []authztest.TokenOption{authztest.WithType("application/at+JWT")}},
		{name: "rfc9068 typ JWT", v: v9068, claims: claims("aud", "api"), opts: []authztest.TokenOption{authztest.WithType("JWT")}, wantErr: authz.ErrType},
		{name: "rfc9068 typ missing", v: v9068, claims: claims("aud", "api"), wantErr: authz.ErrType},
		{name: "scp array", v: v9068, claims: claims("aud", "api", "scp", []string{"a", "b"}), opts: []authztest.TokenOption{authztest.WithType("at+jwt")}, wantScopes: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.v.Validate(bg, mint(t, idp, tt.claims, tt.opts...))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && tt.wantScopes != nil && !cmp.Equal(c.Scopes, tt.wantScopes) {
				t.Fatalf("scopes = %q, want %q", c.Scopes, tt.wantScopes)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	ok := authz.OIDC("https://idp.example.com", "api")
	mod := func(f func(*authz.Issuer)) authz.Issuer {
		is := ok
		f(&is)
		return is
	}
	tests := []struct {
		name    string
		issuers []authz.Issuer
		wantErr string
	}{
		{"valid", []authz.Issuer{ok}, ""},
		{"no URL", []authz.Issuer{mod(func(i *authz.Issuer) { i.URL = "" })}, "URL is empty"},
		{"no audience", []authz.Issuer{authz.OIDC("https://idp.example.com")}, "no audiences"},
		{"skip audience explicitly", []authz.Issuer{mod(func(i *authz.Issuer) { i.Audiences = nil; i.InsecureSkipAudience = true })}, ""},
		{"HS256", []authz.Issuer{mod(func(i *authz.Issuer) { i.Algorithms = []string{"HS256"} })}, "not allowed"},
		{"none", []authz.Issuer{mod(func(i *authz.Issuer) { i.Algorithms = []string{"none"} })}, "not allowed"},
		{"plain http", []authz.Issuer{authz.OIDC("http://idp.example.com", "api")}, "https"},
		{"plain http loopback", []authz.Issuer{authz.OIDC("http://127.0.0.1:8080", "api")}, ""},
		{"plain http localhost jwks", []authz.Issuer{mod(func(i *authz.Issuer) { i.JWKSURL = "http://localhost:1/jwks" })}, ""},
		{"plain http jwks", []authz.Issuer{mod(func(i *authz.Issuer) { i.JWKSURL = "http://keys.example.com/jwks" })}, "https"},
		{"duplicate iss", []authz.Issuer{ok, ok}, "already served"},
		{"alias clash", []authz.Issuer{ok, mod(func(i *authz.Issuer) { i.URL = "https://b.example.com"; i.Aliases = []string{ok.URL} })}, "already served"},
		{"empty audience", []authz.Issuer{mod(func(i *authz.Issuer) { i.Audiences = []string{""} })}, "empty audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := authz.New(tt.issuers, authz.WithoutBackground())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				v.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New err = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAddRemoveIssuer(t *testing.T) {
	a, b := authztest.NewT(t), authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{a.OIDC("api")})
	tokB := mint(t, b, b.Claims("u", "api"))
	if _, err := v.Validate(bg, tokB); !errors.Is(err, authz.ErrUnknownIssuer) {
		t.Fatalf("before add: %v", err)
	}
	if err := v.AddIssuer(b.OIDC("api")); err != nil {
		t.Fatal(err)
	}
	if err := v.AddIssuer(b.OIDC("api")); err == nil {
		t.Fatal("adding a duplicate issuer succeeded")
	}
	if _, err := v.Validate(bg, tokB); err != nil {
		t.Fatalf("after add: %v", err)
	}
	if !v.RemoveIssuer(b.URL()) {
		t.Fatal("RemoveIssuer = false")
	}
	if _, err := v.Validate(bg, tokB); !errors.Is(err, authz.ErrUnknownIssuer) {
		t.Fatalf("after remove: %v", err)
	}
	if _, err := v.Validate(bg, mint(t, a, a.Claims("u", "api"))); err != nil {
		t.Fatalf("issuer A after removing B: %v", err)
	}
}

func TestClaimsAccess(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	c := iss.Claims("u", "api")
	c["realm_access"] = map[string]any{"roles": []string{"admin"}}
	c["https://example.com/roles"] = []string{"editor"}
	c["client_id"] = "cli"
	c["jti"] = "id-1"
	got, err := v.Validate(bg, mint(t, iss, c))
	if err != nil {
		t.Fatal(err)
	}
	if got.ClientID != "cli" || got.ID != "id-1" || got.IssuerName != iss.URL() || got.Algorithm != "RS256" || got.KeyID == "" {
		t.Fatalf("claims = %+v", got)
	}
	if r, ok := got.Lookup("realm_access", "roles"); !ok || !cmp.Equal(r, []any{"admin"}) {
		t.Fatalf("Lookup nested = %v %v", r, ok)
	}
	if r, ok := got.Lookup("https://example.com/roles"); !ok || !cmp.Equal(r, []any{"editor"}) {
		t.Fatalf("Lookup namespaced = %v %v", r, ok)
	}
	if _, ok := got.Lookup("realm_access", "missing"); ok {
		t.Fatal("Lookup of a missing claim succeeded")
	}
	var custom struct {
		Realm struct {
			Roles []string `json:"roles"`
		} `json:"realm_access"`
	}
	if err := got.Decode(&custom); err != nil || custom.Realm.Roles[0] != "admin" {
		t.Fatalf("Decode = %v %+v", err, custom)
	}
}

// TestDescopeRegions: the base URL follows the project ID as Descope's SDKs
// derive it.
func TestDescopeRegions(t *testing.T) {
	for _, tc := range []struct{ pid, base string }{
		{"P2abcdef", "https://api.descope.com"},
		{"Puse1" + strings.Repeat("x", 27), "https://api.use1.descope.com"}, // 32 characters
		{"Peuc1" + strings.Repeat("y", 28), "https://api.euc1.descope.com"},
		{"Puse1" + strings.Repeat("x", 26), "https://api.descope.com"}, // 31 characters: no region
		{"P/ev." + strings.Repeat("x", 27), "https://api.descope.com"}, // not a region: never a host part
		{"PUSE1" + strings.Repeat("x", 27), "https://api.descope.com"},
	} {
		if got := authz.DescopeBaseURLFor(tc.pid); got != tc.base {
			t.Errorf("DescopeBaseURLFor(%q) = %q, want %q", tc.pid, got, tc.base)
		}
		d := authz.Descope(tc.pid)
		if d.URL != tc.base+"/"+tc.pid || d.JWKSURL != tc.base+"/"+tc.pid+"/.well-known/jwks.json" || d.Aliases[0] != tc.base+"/v1/apps/"+tc.pid {
			t.Errorf("Descope(%q) = %+v", tc.pid, d)
		}
	}
}

// TestAuthorizationServer: RFC 8414 metadata with §3.1's path insertion,
// the same exact-issuer rule as OIDC.
func TestAuthorizationServer(t *testing.T) {
	for _, tc := range []struct{ iss, want string }{
		{"https://as.example.com", "https://as.example.com/.well-known/oauth-authorization-server"},
		{"https://as.example.com/", "https://as.example.com/.well-known/oauth-authorization-server"},
		{"https://as.example.com/tenant1", "https://as.example.com/.well-known/oauth-authorization-server/tenant1"},
		{"https://as.example.com/a/b/", "https://as.example.com/.well-known/oauth-authorization-server/a/b"},
		{"https://as.example.com:8443/t", "https://as.example.com:8443/.well-known/oauth-authorization-server/t"},
		{"https://as.example.com/t?x=1", ""},
		{"as.example.com", ""},
	} {
		if got := authz.AuthorizationServerMetadataURL(tc.iss); got != tc.want {
			t.Errorf("AuthorizationServerMetadataURL(%q) = %q, want %q", tc.iss, got, tc.want)
		}
	}
	iss := authztest.NewT(t)
	var hits atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant1" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q,"token_endpoint":"https://x/token"}`, srv.URL+"/tenant1", iss.JWKSURL())
	}))
	t.Cleanup(srv.Close)
	v := newValidator(t, []authz.Issuer{authz.AuthorizationServer(srv.URL+"/tenant1", "api")})
	c := iss.Claims("u", "api")
	c["iss"] = srv.URL + "/tenant1"
	if _, err := v.Validate(bg, mint(t, iss, c)); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("metadata fetched %d times", hits.Load())
	}
	// Metadata naming another issuer is refused.
	v2 := newValidator(t, []authz.Issuer{authz.AuthorizationServer(srv.URL+"/tenant1/", "api")})
	c["iss"] = srv.URL + "/tenant1/"
	if _, err := v2.Validate(bg, mint(t, iss, c)); !errors.Is(err, authz.ErrKeysUnavailable) {
		t.Fatalf("metadata of another issuer: %v", err)
	}
}

// TestPinnedKeys: an issuer's JWK Set given inline or in a file is used
// as is, never fetched, and the file is read again when it changes.
func TestPinnedKeys(t *testing.T) {
	iss := authztest.NewT(t)
	store := memory.New()
	inline := authz.Issuer{URL: iss.URL(), Audiences: []string{"api"}, JWKS: iss.JWKS()}
	v := newValidator(t, []authz.Issuer{inline}, authz.WithStore(store))
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatalf("inline: %v", err)
	}
	if n := iss.JWKSRequests() + iss.DiscoveryRequests(); n != 0 {
		t.Fatalf("pinned keys fetched %d times", n)
	}
	if _, err := store.Get(bg, "jwks:"+iss.URL()); err == nil {
		t.Fatal("pinned keys written to the shared store")
	}

	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	vf := newValidator(t, []authz.Issuer{{URL: iss.URL(), Audiences: []string{"api"}, JWKSFile: path}}, authz.WithClock(clock.Now))
	if _, err := vf.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatalf("file: %v", err)
	}
	// A rotation: the new key is in the file, found through its unknown kid.
	if _, err := iss.Rotate("ES256"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := vf.Validate(bg, mint(t, iss, iss.Claims("u", "api"), authztest.WithAlg("ES256"))); err != nil {
		t.Fatalf("rotated file, unknown kid: %v", err)
	}
	// A retired key leaves the file: gone once the file is read again.
	old := iss.KeyIDs()[0]
	oldTok := mint(t, iss, iss.Claims("u", "api"))
	iss.Retire(old)
	if err := os.WriteFile(path, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Minute) // past MinTTL and the cooldown: the file is due again
	// A kid the file lacks makes the issuer read it now (a stale set keeps
	// serving meanwhile otherwise, as for an IdP).
	if _, err := vf.Validate(bg, mint(t, iss, iss.Claims("u", "api"), authztest.WithKeyID("nope"))); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	if _, err := vf.Validate(bg, oldTok); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("retired key still accepted: %v", err)
	}
	if n := iss.JWKSRequests() + iss.DiscoveryRequests(); n != 0 {
		t.Fatalf("pinned keys fetched %d times", n)
	}

	for name, is := range map[string]authz.Issuer{
		"inline without a usable key": {URL: iss.URL(), Audiences: []string{"api"}, JWKS: []byte(`{"keys":[]}`)},
		"missing file":                {URL: iss.URL(), Audiences: []string{"api"}, JWKSFile: filepath.Join(t.TempDir(), "none.json")},
		"two sources":                 {URL: iss.URL(), Audiences: []string{"api"}, JWKS: iss.JWKS(), JWKSURL: iss.JWKSURL()},
	} {
		if _, err := authz.New([]authz.Issuer{is}); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}
