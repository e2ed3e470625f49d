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

// FuzzParseHeader: the header parser never panics; what it accepts has a
// valid alg, a bounded kid, and no crit, and reading it twice gives the
// same result.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"RS256","kid":"k1","typ":"at+jwt"}`, `{"alg":"none"}`, `{"alg":"HS256"}`,
		`{"alg":"RS256","alg":"none"}`, `{"alg":"RS256","ALG":"none"}`, `{"alg":"RS256","kid":null}`,
		`{"alg":"RS256","crit":["b64"],"b64":false}`, `{"alg":"RS256","kid":"\ud800"}`, `{"alg":"RS\u0032\u0035\u0036"}`,
		`{"alg":"ES256","kid":1}`, `[]`, `{"alg":"EdDSA","x":{"y":[1,2,{"z":null}]}}`, "{\"alg\":\"RS256\",\"kid\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		if !h.Alg.Valid() || h.Alg.String() != h.AlgName || len(h.Kid) > MaxKidLen || (!h.HasKid && h.Kid != "") {
			t.Fatalf("accepted %+v", h)
		}
		h2, err := ParseHeader(b)
		if err != nil || h2 != h {
			t.Fatal("second reading differs")
		}
	})
}
