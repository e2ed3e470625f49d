package strictjson

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// jwkSet returns a JWK Set of about 30 KB: 20 RSA keys with certificate
// chains, like a large identity provider's.
func jwkSet() []byte {
	var b strings.Builder
	b.WriteString(`{"keys":[`)
	for i := range 20 {
		if i > 0 {
			b.WriteString(",")
		}
		n := make([]byte, 256)
		cert := make([]byte, 800)
		for j := range n {
			n[j] = byte(i*31 + j*7)
		}
		for j := range cert {
			cert[j] = byte(i*17 + j*13)
		}
		fmt.Fprintf(&b, `{"kty":"RSA","use":"sig","alg":"RS256","kid":"key-%d","n":"%s","e":"AQAB","x5t":"%s","x5c":["%s"]}`,
			i, base64.RawURLEncoding.EncodeToString(n), base64.RawURLEncoding.EncodeToString(n[:20]),
			base64.StdEncoding.EncodeToString(cert))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func TestJWKSetSize(t *testing.T) {
	doc := jwkSet()
	if len(doc) < 28<<10 || len(doc) > 34<<10 {
		t.Fatalf("JWK Set is %d bytes, want about 30 KB", len(doc))
	}
	if err := Valid(doc); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(10, func() { _ = Valid(doc) }); n != 0 {
		t.Errorf("Valid(JWK Set): %v allocations", n)
	}
}

func benchValid(b *testing.B, doc []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := Valid(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidClaims(b *testing.B) { benchValid(b, []byte(claimsDoc)) }
func BenchmarkValidHeader(b *testing.B) { benchValid(b, []byte(headerDoc)) }
func BenchmarkValidJWKSet(b *testing.B) { benchValid(b, jwkSet()) }

func BenchmarkValidBigObject(b *testing.B) {
	doc, _ := wideObject(50_000)
	benchValid(b, doc)
}

func BenchmarkValidDeep(b *testing.B) {
	doc := []byte(strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20))
	b.ReportAllocs()
	for b.Loop() {
		if Valid(doc) == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkLookupClaims(b *testing.B) {
	doc := []byte(claimsDoc)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Lookup(doc, "scope"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkDecodeClaims(b *testing.B) {
	doc := []byte(claimsDoc)
	type claims struct {
		Issuer   string   `json:"iss"`
		Subject  string   `json:"sub"`
		Audience []string `json:"aud"`
		Expiry   int64    `json:"exp"`
		IssuedAt int64    `json:"iat"`
		ID       string   `json:"jti"`
		ClientID string   `json:"client_id"`
		Scope    string   `json:"scope"`
	}
	b.ReportAllocs()
	for b.Loop() {
		var c claims
		if err := Decode(doc, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValueClaims(b *testing.B) {
	doc := []byte(claimsDoc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Value(doc); err != nil {
			b.Fatal(err)
		}
	}
}
