package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

var enc = base64.RawURLEncoding.EncodeToString

// TestParseJWKSRules: every rule of ParseJWKS's doc, one row each.
func TestParseJWKSRules(t *testing.T) {
	r2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	n := enc(r2048.N.Bytes())
	ecPoint, _ := p256.PublicKey.Bytes()
	x, y := enc(ecPoint[1:33]), enc(ecPoint[33:])
	rsa := func(extra string) string { return fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"%s}`, n, extra) }
	big4097 := new(big.Int).Lsh(big.NewInt(1), 4096)
	big4097.Or(big4097, big.NewInt(1))
	cases := []struct {
		name string
		jwks string
		keys int // usable keys; -1: the set is refused
	}{
		{"rsa", `{"keys":[` + rsa(``) + `]}`, 1},
		{"rsa e=3", `{"keys":[` + strings.Replace(rsa(``), `"AQAB"`, `"Aw"`, 1) + `]}`, 1},
		{"rsa e=1", `{"keys":[` + strings.Replace(rsa(``), `"AQAB"`, `"AQ"`, 1) + `]}`, -1},
		{"rsa e even", `{"keys":[` + strings.Replace(rsa(``), `"AQAB"`, `"AQAC"`, 1) + `]}`, -1},
		{"rsa e over 2^31-1", `{"keys":[` + strings.Replace(rsa(``), `"AQAB"`, `"gAAAAQ"`, 1) + `]}`, -1},
		{"rsa e leading zero", `{"keys":[` + strings.Replace(rsa(``), `"AQAB"`, `"AAEAAQ"`, 1) + `]}`, -1},
		{"rsa n leading zero", `{"keys":[` + fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"}`, enc(append([]byte{0}, r2048.N.Bytes()...))) + `]}`, -1},
		{"rsa over 4096 bits", `{"keys":[` + fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"}`, enc(big4097.Bytes())) + `]}`, -1},
		{"rsa n padded base64", `{"keys":[` + fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"}`, base64.URLEncoding.EncodeToString(r2048.N.Bytes())+"=") + `]}`, -1},
		{"rsa alg ES256", `{"keys":[` + rsa(`,"alg":"ES256"`) + `]}`, -1},
		{"rsa alg RSA-OAEP", `{"keys":[` + rsa(`,"alg":"RSA-OAEP"`) + `]}`, -1},
		{"rsa alg HS256", `{"keys":[` + rsa(`,"alg":"HS256"`) + `]}`, -1},
		{"rsa kid null", `{"keys":[` + rsa(`,"kid":null`) + `]}`, -1},
		{"rsa use sig and key_ops verify", `{"keys":[` + rsa(`,"use":"sig","key_ops":["verify"]`) + `]}`, 1},
		{"rsa key_ops repeated", `{"keys":[` + rsa(`,"key_ops":["verify","verify"]`) + `]}`, -1},
		{"rsa key_ops not an array", `{"keys":[` + rsa(`,"key_ops":"verify"`) + `]}`, -1},
		{"ec p256", fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q}]}`, x, y), 1},
		{"ec wrong curve name", fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-384","x":%q,"y":%q}]}`, x, y), -1},
		{"ec point off the curve", fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q}]}`, x, x), -1},
		{"ec short x", fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q}]}`, enc(ecPoint[2:33]), y), -1},
		{"ec alg of another curve", fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q,"alg":"ES384"}]}`, x, y), -1},
		{"ec private", fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q,"d":"AA"}]}`, x, y), -1},
		{"okp", fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":%q}]}`, enc(edPub)), 1},
		{"okp X25519", fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"X25519","x":%q}]}`, enc(edPub)), -1},
		{"okp short", fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":%q}]}`, enc(edPub[1:])), -1},
		{"oct", `{"keys":[{"kty":"oct","k":"AAAA"}]}`, -1},
		{"not an object", `{"keys":[1,"x",null]}`, -1},
		{"keys not an array", `{"keys":{}}`, -1},
		{"no keys member", `{"Keys":[]}`, -1},
		{"top level array", `[]`, -1},
		{"mixed: bad keys skipped, good kept", fmt.Sprintf(`{"keys":[{"kty":"oct","k":"AAAA"},%s,{"kty":"EC","crv":"P-256","x":%q,"y":%q}]}`, rsa(``), x, y), 2},
	}
	_ = p384
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseJWKS([]byte(tc.jwks))
			switch {
			case tc.keys < 0 && err == nil:
				t.Fatalf("accepted with %d keys", s.Len())
			case tc.keys >= 0 && err != nil:
				t.Fatalf("ParseJWKS: %v", err)
			case tc.keys >= 0 && s.Len() != tc.keys:
				t.Fatalf("%d keys, want %d", s.Len(), tc.keys)
			}
		})
	}
}

// TestPrivateCounted: a set publishing a private key keeps the others and
// counts it.
func TestPrivateCounted(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	n := enc(k.N.Bytes())
	s, err := ParseJWKS([]byte(fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB","d":%q,"kid":"a"},{"kty":"RSA","n":%q,"e":"AQAB","kid":"b"}]}`, n, enc(k.D.Bytes()), n)))
	if err != nil || s.Len() != 1 || s.Ignored() != 1 || s.Private() != 1 || s.HasKid("a") {
		t.Fatalf("err %v, %d keys, %d ignored, %d private", err, s.Len(), s.Ignored(), s.Private())
	}
}

// TestMatch: keys under one kid, and the no-kid rule (exactly one fits).
func TestMatch(t *testing.T) {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pt, _ := p256.PublicKey.Bytes()
	doc := fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB","kid":"a"},{"kty":"RSA","n":%q,"e":"AQAB","kid":"a","alg":"PS256"},{"kty":"EC","crv":"P-256","x":%q,"y":%q}]}`,
		enc(k1.N.Bytes()), enc(k2.N.Bytes()), enc(pt[1:33]), enc(pt[33:]))
	s, err := ParseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Match("a", true, RS256)); got != 2 || !s.Has("a", true, RS256) || !s.Has("a", true, PS256) || s.Has("a", true, ES256) {
		t.Fatalf("Match(a) = %d keys", got)
	}
	for _, tc := range []struct {
		alg  Alg
		want bool
	}{
		{RS256, true},  // k1 only (k2 is restricted to PS256)
		{PS256, false}, // k1 and k2 both fit: ambiguous without a kid
		{PS384, true},  // k1 only
		{ES256, true},  // the EC key
		{ES384, false}, // no P-384 key
	} {
		if got := s.Has("", false, tc.alg); got != tc.want {
			t.Errorf("no kid, %s: Has = %v, want %v", tc.alg, got, tc.want)
		}
	}
	if s.Has("b", true, RS256) {
		t.Fatal("unknown kid matched")
	}
}
