package authz

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
)

// BenchmarkOverhead measures what Validate adds to the signature check:
// Validate of an EdDSA token whose signature primitive is replaced, after
// one real verification, by one that accepts. Its ns/op is the figure the
// goals of docs/benchmarks.md allow a few percent of the raw verification
// for; the token has the claims of the benchmarks module's.
func BenchmarkOverhead(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	enc := base64.RawURLEncoding
	is := OIDC("https://issuer.example", "https://api.example.com")
	is.JWKS = []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"EdDSA-3","x":"` + enc.EncodeToString(pub) + `"}]}`)
	v, err := New([]Issuer{is}, WithoutBackground())
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	now := time.Now().Unix()
	payload := `{"aud":"https://api.example.com","client_id":"client-1","exp":` + itoa(now+3600) + `,"iat":` + itoa(now) +
		`,"iss":"https://issuer.example","jti":"4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f","scope":"read:messages write:messages","sub":"user-1"}`
	input := enc.EncodeToString([]byte(`{"alg":"EdDSA","kid":"EdDSA-3"}`)) + "." + enc.EncodeToString([]byte(payload))
	tok := input + "." + enc.EncodeToString(ed25519.Sign(priv, []byte(input)))
	ctx := context.Background()
	if _, err := v.Validate(ctx, tok); err != nil {
		b.Fatal(err)
	}
	v.testVerify = func(keys []*jws.Key, alg jws.Alg) *jws.Key {
		for _, k := range keys {
			if k.Fits(alg) {
				return k
			}
		}
		return nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func itoa(n int64) string { return string(appendInt(nil, n)) }

func appendInt(dst []byte, n int64) []byte {
	if n >= 10 {
		dst = appendInt(dst, n/10)
	}
	return append(dst, byte('0'+n%10))
}
