package jws

import "testing"

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
		ks, err := ParseJWKS(data)
		if err != nil {
			if ks != nil {
				t.Fatal("key set returned with error")
			}
			return
		}
		if len(ks.Keys()) == 0 {
			t.Fatal("empty key set without error")
		}
		for _, k := range ks.Keys() {
			if k.Pub == nil {
				t.Fatal("nil key")
			}
			for _, alg := range []string{"RS256", "ES256", "ES512", "EdDSA"} {
				_ = k.Fits(ParseAlg(alg))
			}
		}
	})
}
