package authz

import (
	"encoding/json"
	"testing"
)

// FuzzParseJWKS: the JWKS parser never panics, and whatever it returns is
// usable.
func FuzzParseJWKS(f *testing.F) {
	for _, s := range []string{
		`{"keys":[]}`, `{"keys":null}`, `[]`, `null`, `{"keys":[1,"x",null,{}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ed"}]}`,
		`{"keys":[{"kty":"oct","k":"AAAA"}]}`,
		`{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB","x5c":["MII="]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := parseJWKS(data)
		if err != nil {
			if ks != nil {
				t.Fatal("key set returned with error")
			}
			return
		}
		if len(ks.all) == 0 {
			t.Fatal("empty key set without error")
		}
		for _, k := range ks.all {
			if k.pub == nil {
				t.Fatal("nil key")
			}
			for _, alg := range []string{"RS256", "ES256", "ES512", "EdDSA"} {
				_ = k.fits(alg)
			}
		}
	})
}

// FuzzClaims: claim decoding never panics on arbitrary JSON.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"x","aud":["a"],"exp":1,"nbf":2,"iat":3,"scope":"a b","scp":["c"],"permissions":["d"]}`))
	f.Add([]byte(`{"aud":5,"exp":"1","scope":7}`))
	f.Add([]byte(`{"exp":1e400,"nbf":-1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rc rawClaims
		if json.Unmarshal(data, &rc) != nil {
			return
		}
		c := &Claims{raw: data}
		_ = c.collectScopes(&rc, []string{"scope", "scp", "scopes", "permissions", "roles"})
		_, _ = c.Lookup("a", "b")
	})
}
