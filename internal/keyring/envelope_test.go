package keyring

import (
	"bytes"
	"testing"
	"time"
)

// TestOpen: a document is accepted only with a MAC made by an accepted
// secret over its exact bytes, under its own store key, and only within
// bounds.
func TestOpen(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	key := "jwks:" + issuer
	src := issuer + "/.well-known/openid-configuration"
	good := Document{Issuer: issuer, Source: src, FetchedAt: now, ExpiresAt: now.Add(time.Hour), JWKS: jwks(t, "a")}
	sealed := func(secret []byte, storeKey string, d Document) []byte {
		b, err := Seal(secret, storeKey, d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	with := func(f func(d *Document)) Document { d := good; f(&d); return d }
	valid := sealed(secret, key, good)
	flipped := bytes.Clone(valid)
	flipped[len(flipped)-3] ^= 1
	other := []byte("another secret of at least 32 bytes!!")
	tests := []struct {
		name    string
		data    []byte
		secrets [][]byte
		limit   int
		want    string // Reject… reason, "" for accepted
	}{
		{name: "valid", data: valid},
		{name: "rotated: second secret accepted", data: sealed(other, key, good), secrets: [][]byte{secret, other}},
		{name: "no MAC (a plain JSON document)", data: []byte(`{"v":2,"iss":"` + issuer + `","jwks":{"keys":[]}}`), want: RejectMAC},
		{name: "empty", data: []byte{}, want: RejectMAC},
		{name: "wrong secret", data: sealed(other, key, good), want: RejectMAC},
		{name: "empty secret (insecure writer)", data: sealed(nil, key, good), want: RejectMAC},
		{name: "one byte changed", data: flipped, want: RejectMAC},
		{name: "replayed under another issuer's key", data: sealed(secret, "jwks:https://other.example", good), want: RejectMAC},
		{name: "oversized", data: valid, limit: len(valid) - 1, want: RejectSize},
		{name: "wrong issuer inside", data: sealed(secret, key, with(func(d *Document) { d.Issuer = "https://evil.example" })), want: RejectIssuer},
		{name: "wrong source inside", data: sealed(secret, key, with(func(d *Document) { d.Source = "https://evil.example/jwks" })), want: RejectIssuer},
		{name: "fetched in the future", data: sealed(secret, key, with(func(d *Document) { d.FetchedAt = now.Add(time.Minute); d.ExpiresAt = now.Add(time.Hour) })), want: RejectBounds},
		{name: "fetched just within the skew", data: sealed(secret, key, with(func(d *Document) { d.FetchedAt = now.Add(maxSkew) }))},
		{name: "fresh for longer than MaxTTL", data: sealed(secret, key, with(func(d *Document) { d.ExpiresAt = now.Add(100 * 365 * 24 * time.Hour) })), want: RejectBounds},
		{name: "expires before fetched", data: sealed(secret, key, with(func(d *Document) { d.ExpiresAt = now.Add(-time.Second) })), want: RejectBounds},
		{name: "failure in the future", data: sealed(secret, key, with(func(d *Document) { d.FailedAt = now.Add(time.Hour) })), want: RejectBounds},
		{name: "no keys member", data: sealed(secret, key, with(func(d *Document) { d.JWKS = nil })), want: RejectFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secrets := tt.secrets
			if secrets == nil {
				secrets = [][]byte{secret}
			}
			limit := tt.limit
			if limit == 0 {
				limit = 1 << 20
			}
			e, err := open(tt.data, key, secrets, limit)
			if err == nil {
				err = e.check(issuer, src, now, 24*time.Hour)
			}
			if got := RejectReason(err); got != tt.want {
				t.Fatalf("open = %v (reason %q), want reason %q", err, got, tt.want)
			}
		})
	}
}

// FuzzOpen: stored-document decoding (envelope and MAC check) never
// panics, and accepts nothing that was not sealed with the secret.
func FuzzOpen(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	key := "jwks:" + issuer
	d := Document{Issuer: issuer, Source: "s", FetchedAt: now, ExpiresAt: now.Add(time.Hour), JWKS: []byte(`{"keys":[]}`)}
	valid, _ := Seal(secret, key, d)
	f.Add(valid)
	f.Add([]byte(sealPrefix))
	f.Add([]byte(`{"v":2}`))
	f.Add(append([]byte(sealPrefix), bytes.Repeat([]byte("A"), macB64Len+1)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := open(data, key, [][]byte{secret}, 1<<16)
		if err != nil {
			if RejectReason(err) == "" {
				t.Fatalf("open error without a reason: %v", err)
			}
			return
		}
		// Accepted: it must carry the MAC of its own body.
		body := data[sealedExtra:]
		if !bytes.Equal(data[:sealedExtra], mustSealPrefix(secret, key, body)) {
			t.Fatalf("accepted a document whose MAC is not the secret's")
		}
		_ = e.check(issuer, "s", now, time.Hour)
	})
}

func mustSealPrefix(secret []byte, key string, body []byte) []byte {
	out := []byte(sealPrefix)
	out = appendB64(out, mac(secret, key, body))
	return append(out, '.')
}
