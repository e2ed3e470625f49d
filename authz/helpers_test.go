package authz_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// fakeClock is an injectable clock, moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fastKeys keeps back-offs and waits short so failure tests run quickly.
var fastKeys = authz.KeyOptions{
	FetchTimeout: 2 * time.Second,
	RetryMin:     10 * time.Millisecond,
	RetryMax:     50 * time.Millisecond,
	LockWait:     200 * time.Millisecond,
}

func newValidator(t testing.TB, issuers []authz.Issuer, opts ...authz.Option) *authz.Validator {
	t.Helper()
	opts = append([]authz.Option{authz.WithoutBackground(), authz.WithKeyOptions(fastKeys)}, opts...)
	v, err := authz.New(issuers, opts...)
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func b64(v any) string {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		var err error
		b, err = json.Marshal(x)
		if err != nil {
			panic(err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// rawToken assembles a compact JWS from parts without signing.
func rawToken(header, payload any, sig []byte) string {
	return b64(header) + "." + b64(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// jwksServer serves a fixed JWKS document and counts requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func mustRSA(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mint(t testing.TB, iss *authztest.Issuer, claims map[string]any, opts ...authztest.TokenOption) string {
	t.Helper()
	return iss.MustMint(t, claims, opts...)
}

var _ crypto.Signer = (*rsa.PrivateKey)(nil)

var bg = context.Background()

func rsaSign(k *rsa.PrivateKey, input string) ([]byte, error) {
	d := sha256.Sum256([]byte(input))
	return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
}
