package keyring

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

var bg = context.Background()

func keyFor(r *Ring, kid string) error {
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	_, err := r.KeyFor(ctx, kid, kid != "", jws.ES256)
	return err
}

// TestKidPublishedAfterFirstSeen: a kid missed once is answered without a
// fetch within the cooldown, and looked up again (no-cache) once it ends:
// a key published a second after its kid was first seen is accepted
// within one cooldown.
func TestKidPublishedAfterFirstSeen(t *testing.T) {
	clock := newClock()
	idp := newIdP(t, clock, "a")
	r := newRing(t, clock, idp, memory.New(memory.WithClock(clock.Now)), nil)
	if err := keyFor(r, "a"); err != nil {
		t.Fatal(err)
	}
	if err := keyFor(r, "b"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unpublished kid: %v, want ErrUnknownKey", err)
	}
	clock.Add(time.Second)
	idp.publish("a", "b")
	if err := keyFor(r, "b"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("within the cooldown: %v, want ErrUnknownKey without a fetch", err)
	}
	if got := idp.fetches.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2 (load, one unknown kid)", got)
	}
	clock.Add(testOpts.Cooldown - time.Second)
	if err := keyFor(r, "b"); err != nil {
		t.Fatalf("at the cooldown's end: %v, want the published key", err)
	}
	if got, nc := idp.fetches.Load(), idp.noCache.Load(); got != 3 || nc != 2 {
		t.Fatalf("fetches = %d (%d no-cache), want 3 (2 no-cache)", got, nc)
	}
}

// TestFailedRefreshUnavailable: when the unknown-kid refresh fails, the
// kid gets "unavailable" (503), never ErrUnknownKey, on the replica that
// fetched and on another that shares the store (which does not fetch again
// within the cooldown); after the IdP heals and the cooldown ends, the kid
// is found.
func TestFailedRefreshUnavailable(t *testing.T) {
	clock := newClock()
	idp := newIdP(t, clock, "a")
	store := memory.New(memory.WithClock(clock.Now))
	r1, r2 := newRing(t, clock, idp, store, nil), newRing(t, clock, idp, store, nil)
	for _, r := range []*Ring{r1, r2} {
		if err := keyFor(r, "a"); err != nil {
			t.Fatal(err)
		}
	}
	idp.setFail(errors.New("HTTP 503"))
	idp.publish("a", "b")
	before := idp.fetches.Load()
	for i, r := range []*Ring{r1, r2, r1, r2} {
		if err := keyFor(r, "b"); err == nil || errors.Is(err, ErrUnknownKey) {
			t.Fatalf("call %d: %v, want an unavailability error", i, err)
		}
	}
	if got := idp.fetches.Load() - before; got != 1 {
		t.Fatalf("fetches = %d, want 1 for both replicas", got)
	}
	idp.setFail(nil)
	clock.Add(testOpts.Cooldown)
	for i, r := range []*Ring{r1, r2} {
		if err := keyFor(r, "b"); err != nil {
			t.Fatalf("replica %d after healing: %v", i, err)
		}
	}
}

// TestFloodOneStoreRead: 20,000 random kids over two replicas within one
// cooldown cost each replica at most one store read and the IdP one fetch;
// the next cooldown the same again.
func TestFloodOneStoreRead(t *testing.T) {
	clock := newClock()
	idp := newIdP(t, clock, "a")
	store := &countingStore{Store: memory.New(memory.WithClock(clock.Now))}
	rs := []*Ring{newRing(t, clock, idp, store, nil), newRing(t, clock, idp, store, nil)}
	for _, r := range rs {
		if err := keyFor(r, "a"); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 {
		reads, fetches := store.gets.Load(), idp.fetches.Load()
		var wg sync.WaitGroup
		errs := make(chan error, 20000)
		for w := range 20 {
			wg.Go(func() {
				for range 1000 {
					if err := keyFor(rs[w%2], rand.Text()); !errors.Is(err, ErrUnknownKey) {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: a random kid got %v, want ErrUnknownKey", round, err)
		}
		if got := store.gets.Load() - reads; got > int64(len(rs)) {
			t.Errorf("round %d: %d store reads for 20000 random kids, want at most %d (one per replica)", round, got, len(rs))
		}
		if got := idp.fetches.Load() - fetches; got != 1 {
			t.Errorf("round %d: %d IdP fetches, want 1", round, got)
		}
		t.Logf("round %d: 20000 random kids: %d store reads, %d IdP fetches", round, store.gets.Load()-reads, idp.fetches.Load()-fetches)
		clock.Add(testOpts.Cooldown)
	}
}

// TestForgedLocksIgnored: fetch and cooldown locks written by someone else
// with a 24 h ttl do not stop a rotation: the new kid is accepted at once.
func TestForgedLocksIgnored(t *testing.T) {
	clock := newClock()
	idp := newIdP(t, clock, "a")
	store := memory.New(memory.WithClock(clock.Now))
	r := newRing(t, clock, idp, store, nil)
	if err := keyFor(r, "a"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fetch:", "cooldown:", "backoff:"} {
		if _, ok, err := store.TryLock(bg, name+issuer, 24*time.Hour); !ok || err != nil {
			t.Fatalf("forging %s lock: %v %v", name, ok, err)
		}
	}
	idp.publish("a", "rotated")
	if err := keyFor(r, "rotated"); err != nil {
		t.Fatalf("rotated kid with forged locks: %v", err)
	}
}

// TestBadDocumentsNeverAdopted: documents an attacker wrote are never
// adopted, by a cold ring nor a warm one; the IdP is consulted instead and
// the refusal is counted.
func TestBadDocumentsNeverAdopted(t *testing.T) {
	key := "jwks:" + issuer
	src := issuer + "/.well-known/openid-configuration"
	other := []byte("attacker's guess at the secret, 32+ bytes")
	tests := []struct {
		name   string
		forge  func(now time.Time, evil []byte) []byte
		reason string
	}{
		{"no MAC", func(now time.Time, evil []byte) []byte {
			return []byte(`{"v":2,"iss":"` + issuer + `","src":"` + src + `","fetched_at":1,"expires_at":2,"jwks":` + string(evil) + `}`)
		}, RejectMAC},
		{"wrong secret", func(now time.Time, evil []byte) []byte {
			b, _ := Seal(other, key, Document{Issuer: issuer, Source: src, FetchedAt: now, ExpiresAt: now.Add(time.Hour), JWKS: evil})
			return b
		}, RejectMAC},
		{"good MAC, fetched in the future", func(now time.Time, evil []byte) []byte {
			b, _ := Seal(secret, key, Document{Issuer: issuer, Source: src, FetchedAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour), JWKS: evil})
			return b
		}, RejectBounds},
		{"good MAC, replayed from another issuer", func(now time.Time, evil []byte) []byte {
			b, _ := Seal(secret, "jwks:https://other.example", Document{Issuer: issuer, Source: src, FetchedAt: now, ExpiresAt: now.Add(time.Hour), JWKS: evil})
			return b
		}, RejectMAC},
		{"good MAC, another issuer's document", func(now time.Time, evil []byte) []byte {
			b, _ := Seal(secret, key, Document{Issuer: "https://other.example", Source: src, FetchedAt: now, ExpiresAt: now.Add(time.Hour), JWKS: evil})
			return b
		}, RejectIssuer},
		{"oversized", func(now time.Time, evil []byte) []byte {
			return make([]byte, 1<<20+EnvelopeOverhead+1)
		}, RejectSize},
	}
	for _, tt := range tests {
		for _, warm := range []bool{false, true} {
			name := tt.name + map[bool]string{false: "/cold", true: "/warm"}[warm]
			t.Run(name, func(t *testing.T) {
				clock := newClock()
				idp := newIdP(t, clock, "a")
				store := memory.New(memory.WithClock(clock.Now))
				r := newRing(t, clock, idp, store, nil)
				if warm {
					if err := keyFor(r, "a"); err != nil {
						t.Fatal(err)
					}
					clock.Add(time.Second)
				}
				evil := jwks(t, "a", "evil")
				if err := store.Put(bg, key, tt.forge(clock.Now(), evil), 0); err != nil {
					t.Fatal(err)
				}
				before := idp.fetches.Load()
				if err := keyFor(r, "evil"); !errors.Is(err, ErrUnknownKey) {
					t.Fatalf("forged kid: %v, want ErrUnknownKey", err)
				}
				if got := idp.fetches.Load() - before; got < 1 {
					t.Fatalf("the IdP was not consulted")
				}
				st := r.Status()
				if st.Rejected < 1 || st.LastReject != tt.reason {
					t.Fatalf("status: %d rejected, last %q; want ≥1, %q", st.Rejected, st.LastReject, tt.reason)
				}
				// The ring's own fetch replaced the forged document.
				if m := storedDoc(t, store); m["iss"] != issuer {
					t.Fatalf("stored document after the refresh: %v", m)
				}
			})
		}
	}
}

// TestReAddedRingOwnFlight: a ring for the same issuer (removed and added
// again) does not join the old ring's hung fetch.
func TestReAddedRingOwnFlight(t *testing.T) {
	clock := newClock()
	flights := NewFlights()
	defer flights.Close()
	hung := newIdP(t, clock, "a")
	hung.hang = make(chan struct{})
	defer close(hung.hang)
	old := newRing(t, clock, hung, nil, flights)
	old.RefreshAsync(ReasonLoad)
	old.Remove()
	healthy := newIdP(t, clock, "a")
	fresh := newRing(t, clock, healthy, nil, flights)
	ctx, cancel := context.WithTimeout(bg, time.Second)
	defer cancel()
	if _, err := fresh.Usable(ctx); err != nil {
		t.Fatalf("re-added issuer: %v", err)
	}
}

// TestCloseWaitsAndKeepsFetching: Close ends and waits for the fetches in
// flight; fetches started after it work.
func TestCloseWaitsAndKeepsFetching(t *testing.T) {
	clock := newClock()
	flights := NewFlights()
	idp := newIdP(t, clock, "a")
	idp.hang = make(chan struct{})
	r := newRing(t, clock, idp, nil, flights)
	r.RefreshAsync(ReasonLoad)
	for idp.fetches.Load() == 0 {
		time.Sleep(time.Millisecond) // wait for the fetch to start
	}
	flights.Close() // returns only once the hung fetch has ended
	r.mu.Lock()
	inFlight := r.fl != nil
	r.mu.Unlock()
	if inFlight {
		t.Fatal("Close returned with a fetch in flight")
	}
	close(idp.hang)
	idp.hang = nil
	if _, err := r.Usable(bg); err != nil {
		t.Fatalf("fetch after Close: %v", err)
	}
}

// TestDiscoveryTravels: a replica that adopts another's document also
// adopts its jwks_uri, so its next fetch skips discovery.
func TestDiscoveryTravels(t *testing.T) {
	clock := newClock()
	idp := newIdP(t, clock, "a")
	store := memory.New(memory.WithClock(clock.Now))
	r1 := newRing(t, clock, idp, store, nil)
	if err := keyFor(r1, "a"); err != nil {
		t.Fatal(err)
	}
	var got FetchRequest
	r2 := newRing(t, clock, idp, store, nil)
	r2.c.Fetch = func(ctx context.Context, req FetchRequest) (*Set, error) { got = req; return idp.fetch(ctx, req) }
	if err := keyFor(r2, "a"); err != nil {
		t.Fatal(err)
	}
	if n := idp.fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1: the second replica reads the store", n)
	}
	clock.Add(testOpts.Cooldown)
	idp.publish("a", "b")
	store.Delete(bg, "jwks:"+issuer) // force r2 to the IdP
	if err := keyFor(r2, "b"); err != nil {
		t.Fatal(err)
	}
	if got.JWKSURI != "https://idp.example/jwks" {
		t.Fatalf("second replica's fetch: JWKSURI %q, want the discovered one from the document", got.JWKSURI)
	}
}

// TestNoKidRefreshes: a token without a kid whose alg no single key fits
// causes one unknown-kid refresh, answered ErrUnknownKey.
func TestNoKidRefreshes(t *testing.T) {
	clock := newClock()
	idp := newIdP(t, clock, "a", "b") // two ES256 keys: no kid is ambiguous
	r := newRing(t, clock, idp, nil, nil)
	if err := keyFor(r, "a"); err != nil {
		t.Fatal(err)
	}
	if err := keyFor(r, ""); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("no kid, two keys: %v, want ErrUnknownKey", err)
	}
	if got := idp.fetches.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2 (load, one refresh)", got)
	}
}
