package authz

import (
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// FuzzClaims: claim decoding never panics on arbitrary input, and every
// reader of a payload that decodes agrees: the typed claims, Lookup and Map
// see the same iss, sub, aud, exp and scope.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"x","aud":["a"],"exp":1,"nbf":2,"iat":3,"scope":"a b","scp":["c"],"permissions":["d"]}`))
	f.Add([]byte(`{"aud":5,"exp":"1","scope":7}`))
	f.Add([]byte(`{"exp":1e400,"nbf":-1e400}`))
	f.Add([]byte(`{"aud":"other","exp":1,"scope":"read","Aud":"api","EXP":2,"SCOPE":"admin","\u017fcope":"x"}`))
	f.Add([]byte(`{"iss":"a","iss":"b"}`))
	f.Add([]byte(`{"scope":"read\tadmin"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var room [maxMembers]strictjson.Member // as validateToken gives it
		members, err := strictjson.ValidObject(data, room[:0])
		if (err == nil) != (strictjson.Valid(data) == nil && strictjson.Kind(data) == '{') {
			t.Fatalf("ValidObject: %v, but Valid %v", err, strictjson.Valid(data))
		}
		if err != nil {
			return
		}
		c := &Claims{raw: data}
		hasIss, _, err := c.decodeRegistered(members)
		if err != nil {
			return
		}
		if hasIss {
			if v, ok := c.Lookup("iss"); !ok || v != c.Issuer {
				t.Fatalf("iss: typed %q, Lookup %v", c.Issuer, v)
			}
		} else if _, ok := c.Lookup("iss"); ok {
			t.Fatal("Lookup finds an iss the typed claims do not")
		}
		if v, ok := c.Lookup("sub"); ok && v != c.Subject {
			t.Fatalf("sub: typed %q, Lookup %v", c.Subject, v)
		}
		if v, ok := c.Lookup("aud"); ok {
			switch a := v.(type) {
			case string:
				if len(c.Audience) != 1 || c.Audience[0] != a {
					t.Fatalf("aud: typed %q, Lookup %q", c.Audience, a)
				}
			case []any:
				if len(a) != len(c.Audience) {
					t.Fatalf("aud: typed %q, Lookup %v", c.Audience, a)
				}
				for i := range a {
					if a[i] != c.Audience[i] {
						t.Fatalf("aud: typed %q, Lookup %v", c.Audience, a)
					}
				}
			}
		}
		var dec struct {
			Iss   *string `json:"iss"`
			Sub   *string `json:"sub"`
			Scope any     `json:"scope"`
		}
		if err := c.Decode(&dec); err != nil {
			return
		}
		if hasIss != (dec.Iss != nil) || (dec.Iss != nil && *dec.Iss != c.Issuer) {
			t.Fatal("Decode and the typed claims disagree on iss")
		}
		if err := c.collectScopes([]scopeClaim{{"scope", ScopeAny}, {"scp", ScopeAny}, {"permissions", ScopeArray}, {"roles", ScopeAny}}, members); err != nil {
			return
		}
		if s, ok := dec.Scope.(string); ok {
			for _, f := range strings.Split(s, " ") {
				if f != "" && !c.HasScope(f) {
					t.Fatalf("scope %q in the string but not granted", f)
				}
			}
		}
	})
}

// FuzzDPoPProof: the proof checks never panic on arbitrary input, and
// nothing arbitrary passes them.
func FuzzDPoPProof(f *testing.F) {
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.e30.AA")
	f.Add("a.b.c")
	f.Add("..")
	v, err := New([]Issuer{OIDC("https://issuer.example", "api")}, WithoutBackground(), WithDPoP(DPoPOptions{Mode: DPoPAllowed}))
	if err != nil {
		f.Fatal(err)
	}
	defer v.Close()
	f.Fuzz(func(t *testing.T, proof string) {
		req := &Request{Scheme: "DPoP", Method: "GET", URI: "https://api.example.com/x", DPoP: []string{proof}}
		if sentinel, _, _ := v.checkProof(t.Context(), req, "token", "jkt"); sentinel == nil {
			t.Fatal("an arbitrary proof passed")
		}
	})
}

// FuzzNormalizeHTU: normalisation never panics and is idempotent.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{"https://a.example/b", "HTTP://A:80/./x/../y?q#f", "https://[::1]:443/%7e/%2f", "https://h", "https://h:/", "ftp://x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := normalizeHTU(s)
		if !ok {
			return
		}
		n2, ok := normalizeHTU(n)
		if !ok || n2 != n {
			t.Fatalf("normalizeHTU(%q) = %q, then %q, %v", s, n, n2, ok)
		}
	})
}
