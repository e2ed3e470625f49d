package keyring

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test")

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

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

// jwks returns a JWK Set with one P-256 key per kid.
func jwks(t testing.TB, kids ...string) []byte {
	t.Helper()
	var keys []string
	for _, kid := range kids {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			t.Fatal(err)
		}
		enc := base64.RawURLEncoding.EncodeToString
		keys = append(keys, fmt.Sprintf(`{"kty":"EC","crv":"P-256","kid":%q,"use":"sig","alg":"ES256","x":%q,"y":%q}`, kid, enc(b[1:33]), enc(b[33:])))
	}
	return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`)
}

// fakeIdP serves a key set that tests change, and counts fetches.
type fakeIdP struct {
	t       testing.TB
	clock   *fakeClock
	mu      sync.Mutex
	kids    []string
	raw     []byte
	fail    error
	hang    chan struct{} // non-nil: fetches block until closed or ctx ends
	fetches atomic.Int64
	noCache atomic.Int64
}

func newIdP(t testing.TB, clock *fakeClock, kids ...string) *fakeIdP {
	p := &fakeIdP{t: t, clock: clock}
	p.publish(kids...)
	return p
}

func (p *fakeIdP) publish(kids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kids, p.raw = kids, jwks(p.t, kids...)
}

func (p *fakeIdP) setFail(err error) {
	p.mu.Lock()
	p.fail = err
	p.mu.Unlock()
}

func (p *fakeIdP) fetch(ctx context.Context, req FetchRequest) (*Set, error) {
	p.fetches.Add(1)
	if req.NoCache {
		p.noCache.Add(1)
	}
	p.mu.Lock()
	raw, fail, hang := p.raw, p.fail, p.hang
	p.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	ks, err := jws.ParseJWKS(raw)
	if err != nil {
		return nil, err
	}
	now := p.clock.Now()
	return &Set{Keys: ks, Raw: raw, JWKSURI: "https://idp.example/jwks", FetchedAt: now, ExpiresAt: now.Add(5 * time.Minute), RefreshAt: now.Add(4 * time.Minute)}, nil
}

// countingStore counts the document reads of a store (every capability
// passes through).
type countingStore struct {
	*memory.Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, key)
}

var _ interface {
	keystore.Store
	keystore.Locker
	keystore.LockInspector
} = (*countingStore)(nil)

const issuer = "https://idp.example"

var testOpts = Options{
	MaxTTL: 24 * time.Hour, MaxStale: time.Hour, Cooldown: 5 * time.Second,
	FetchTimeout: 5 * time.Second, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
	LockWait: 500 * time.Millisecond,
}

// newRing returns a ring for the fake IdP on store (nil: none) sharing
// flights.
func newRing(t testing.TB, clock *fakeClock, idp *fakeIdP, s keystore.Store, flights *Flights) *Ring {
	t.Helper()
	var st *Store
	if s != nil {
		st = NewStore(StoreConfig{Store: s, Secrets: [][]byte{secret}, Now: clock.Now, Timeout: time.Second, Backoff: time.Second, MaxDocumentSize: 1 << 20})
	}
	if flights == nil {
		flights = NewFlights()
		t.Cleanup(flights.Close)
	}
	return New(Config{
		Issuer: issuer, Source: issuer + "/.well-known/openid-configuration", StoreKey: "jwks:" + issuer,
		Fetch: idp.fetch, Now: clock.Now, Options: testOpts, Store: st, Flights: flights,
	})
}

// storedDoc returns what a ring stored, decoded.
func storedDoc(t testing.TB, s keystore.Store) map[string]any {
	t.Helper()
	data, err := s.Get(context.Background(), "jwks:"+issuer)
	if err != nil {
		t.Fatal(err)
	}
	e, err := open(data, "jwks:"+issuer, [][]byte{secret}, 1<<21)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	b, _ := json.Marshal(e)
	_ = json.Unmarshal(b, &m)
	return m
}
