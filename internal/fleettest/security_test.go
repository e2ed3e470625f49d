package fleettest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/internal/keyring"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// forgedJWKS returns iss's JWK Set plus the attacker's current key under
// kid "evil".
func forgedJWKS(t *testing.T, iss, attacker *authztest.Issuer) []byte {
	t.Helper()
	var set, extra struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(attacker.JWKS(), &extra); err != nil {
		t.Fatal(err)
	}
	k := extra.Keys[0]
	k["kid"] = "evil"
	set.Keys = append(set.Keys, k)
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFleetForgedDocuments: documents written to Redis by someone without
// the fleet's secret — or with it, but out of bounds — are never adopted,
// by warm replicas (which read the store for the forged token's unknown
// kid and on an announcement) nor by a cold one; the IdP is consulted
// instead and the refusal is counted. Deleting the document heals nothing
// because nothing was harmed: the next rotation is picked up as usual.
func TestFleetForgedDocuments(t *testing.T) {
	type forge func(t *testing.T, f *fleet, evil []byte) []byte
	now := func() time.Time { return time.Now() }
	src := func(f *fleet) string { return f.iss.URL() + "/.well-known/openid-configuration" }
	sealed := func(secret []byte, key string, d keyring.Document) []byte {
		b, err := keyring.Seal(secret, key, d)
		if err != nil {
			panic(err)
		}
		return b
	}
	tests := []struct {
		name   string
		forge  forge
		reason string
	}{
		{"no MAC", func(t *testing.T, f *fleet, evil []byte) []byte {
			return fmt.Appendf(nil, `{"v":1,"iss":%q,"src":%q,"fetched_at":%d,"expires_at":%d,"jwks":%s}`,
				f.iss.URL(), src(f), now().Add(time.Second).UnixMilli(), now().Add(100*365*24*time.Hour).UnixMilli(), evil)
		}, "mac"},
		{"bad MAC", func(t *testing.T, f *fleet, evil []byte) []byte {
			return sealed([]byte("not the fleet's secret, but 32+ bytes long"), "jwks:"+f.iss.URL(),
				keyring.Document{Issuer: f.iss.URL(), Source: src(f), FetchedAt: now(), ExpiresAt: now().Add(time.Hour), JWKS: evil})
		}, "mac"},
		{"good MAC, future fetched_at", func(t *testing.T, f *fleet, evil []byte) []byte {
			return sealed(fleetSecret, "jwks:"+f.iss.URL(),
				keyring.Document{Issuer: f.iss.URL(), Source: src(f), FetchedAt: now().Add(time.Hour), ExpiresAt: now().Add(2 * time.Hour), JWKS: evil})
		}, "bounds"},
		{"good MAC, 100-year lifetime", func(t *testing.T, f *fleet, evil []byte) []byte {
			return sealed(fleetSecret, "jwks:"+f.iss.URL(),
				keyring.Document{Issuer: f.iss.URL(), Source: src(f), FetchedAt: now(), ExpiresAt: now().Add(100 * 365 * 24 * time.Hour), JWKS: evil})
		}, "bounds"},
		{"oversized", func(t *testing.T, f *fleet, evil []byte) []byte {
			return append(sealed(fleetSecret, "jwks:"+f.iss.URL(),
				keyring.Document{Issuer: f.iss.URL(), Source: src(f), FetchedAt: now(), ExpiresAt: now().Add(time.Hour), JWKS: evil}),
				bytes.Repeat([]byte(" "), 1<<20+keyring.EnvelopeOverhead)...)
		}, "size"},
		{"wrong issuer", func(t *testing.T, f *fleet, evil []byte) []byte {
			return sealed(fleetSecret, "jwks:"+f.iss.URL(),
				keyring.Document{Issuer: "https://evil.example", Source: src(f), FetchedAt: now(), ExpiresAt: now().Add(time.Hour), JWKS: evil})
		}, "issuer"},
		{"replayed from another issuer", func(t *testing.T, f *fleet, evil []byte) []byte {
			// A genuine, fleet-signed document of another issuer (whose
			// keys the attacker controls), copied under this issuer's key.
			return sealed(fleetSecret, "jwks:https://other.example",
				keyring.Document{Issuer: "https://other.example", Source: "https://other.example/.well-known/openid-configuration", FetchedAt: now(), ExpiresAt: now().Add(time.Hour), JWKS: evil})
		}, "mac"},
	}
	for _, kind := range sharingBackends {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
				iss, attacker := authztest.NewT(t), authztest.NewT(t)
				keys := fleetKeys
				keys.UnknownKeyCooldown = 300 * time.Millisecond
				f := newFleet(t, kind.make(t), iss, keys)
				rs := f.addN(t, 3)
				warmAll(t, rs)
				f.waitSubscribed(t, len(rs))
				good := iss.MustMint(t, iss.Claims("u", audience))
				evil := attacker.MustMint(t, iss.Claims("attacker", audience), authztest.WithKeyID("evil"))

				ctx := context.Background()
				if err := f.admin.Set(ctx, f.docKey(), tt.forge(t, f, forgedJWKS(t, iss, attacker)), 0).Err(); err != nil {
					t.Fatal(err)
				}
				if err := f.admin.Publish(ctx, f.channel(), "jwks:"+iss.URL()).Err(); err != nil {
					t.Fatal(err)
				}
				before := iss.JWKSRequests()
				for i, r := range rs {
					if _, err := validate(r.Validator, evil); !errors.Is(err, authz.ErrUnknownKey) {
						t.Fatalf("warm replica %d: forged key: Validate = %v, want ErrUnknownKey", i, err)
					}
					mustValidate(t, r.Validator, good, fmt.Sprintf("warm replica %d, good token", i))
				}
				// The warm replicas' fetches replaced the forged document:
				// forge it again for a replica that starts cold.
				if err := f.admin.Set(ctx, f.docKey(), tt.forge(t, f, forgedJWKS(t, iss, attacker)), 0).Err(); err != nil {
					t.Fatal(err)
				}
				coldBefore := iss.JWKSRequests()
				cold := f.add(t, authz.WithoutBackground())
				mustValidate(t, cold.Validator, good, "cold replica, good token")
				if got := iss.JWKSRequests() - coldBefore; got != 1 {
					t.Errorf("cold replica over a forged document: %d JWKS requests, want 1 (the forged document is a miss)", got)
				}
				if s := status(cold.Validator); s.RejectedDocuments < 1 || s.LastRejectReason != tt.reason {
					t.Errorf("cold replica: %d documents refused, last %q; want ≥ 1, %q", s.RejectedDocuments, s.LastRejectReason, tt.reason)
				}
				if _, err := validate(cold.Validator, evil); !errors.Is(err, authz.ErrUnknownKey) {
					t.Fatalf("cold replica: forged key: Validate = %v, want ErrUnknownKey", err)
				}
				if got := iss.JWKSRequests() - before; got < 1 {
					t.Errorf("the IdP was not consulted (%d JWKS requests)", got)
				}
				var rejected uint64
				for _, r := range append(rs, cold) {
					s := status(r.Validator)
					rejected += s.RejectedDocuments
					if s.RejectedDocuments > 0 && s.LastRejectReason != tt.reason && s.LastRejectReason != "mac" {
						t.Errorf("last reject reason %q, want %q", s.LastRejectReason, tt.reason)
					}
				}
				if rejected == 0 {
					t.Errorf("no replica counted the forged document")
				}

				// Delete the document (or leave whatever the fleet wrote
				// since) and rotate: the fleet follows.
				if err := f.admin.Del(ctx, f.docKey()).Err(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(keys.UnknownKeyCooldown)
				if _, err := iss.Rotate("ES256"); err != nil {
					t.Fatal(err)
				}
				rotated := iss.MustMint(t, iss.Claims("u", audience), authztest.WithAlg("ES256"))
				for i, r := range append(rs, cold) {
					// Within a cooldown or so: miniredis's clock, which
					// expires the cooldown lock, lags on a loaded machine.
					deadline := time.Now().Add(keys.UnknownKeyCooldown + 2*time.Second)
					for {
						_, err := validate(r.Validator, rotated)
						if err == nil {
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("replica %d after deleting the forged document, rotated key: %v", i, err)
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
				t.Logf("forged %s: refused %d times, IdP consulted %d times", tt.name, rejected, iss.JWKSRequests()-before)
			})
		}
	}
}

// TestFleetForgedLocks: fetch, cooldown and backoff locks written by
// someone else with a 24 h ttl delay a rotation by at most one cooldown:
// the new kid is accepted by every replica at once.
func TestFleetForgedLocks(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			f := newFleet(t, kind.make(t), iss, fleetKeys) // cooldown 1m
			rs := f.addN(t, 3, authz.WithoutBackground())
			warmAll(t, rs)
			ctx := context.Background()
			for _, k := range []string{f.cooldownKey(), f.fetchLockKey(), f.prefix + "lock:backoff:" + iss.URL()} {
				if err := f.admin.Set(ctx, k, "x", 24*time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := iss.Rotate("ES256"); err != nil {
				t.Fatal(err)
			}
			rotated := iss.MustMint(t, iss.Claims("u", audience), authztest.WithAlg("ES256"))
			start := time.Now()
			for i, r := range rs {
				mustValidate(t, r.Validator, rotated, fmt.Sprintf("replica %d, forged 24h locks, rotated kid", i))
			}
			if d := time.Since(start); d > fleetKeys.UnknownKeyCooldown {
				t.Errorf("rotation took %v with forged locks, more than one cooldown (%v)", d, fleetKeys.UnknownKeyCooldown)
			}
		})
	}
}

// switchableJWKS serves iss's JWKS without the kids in hidden, until shown.
type switchableJWKS struct {
	*httptest.Server
	mu     sync.Mutex
	hidden map[string]bool
	hits   atomic.Int64
	fail   atomic.Bool
}

func newSwitchableJWKS(t *testing.T, iss *authztest.Issuer) *switchableJWKS {
	s := &switchableJWKS{hidden: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		_ = json.Unmarshal(iss.JWKS(), &set)
		s.mu.Lock()
		out := set.Keys[:0]
		for _, k := range set.Keys {
			if !s.hidden[k["kid"].(string)] {
				out = append(out, k)
			}
		}
		s.mu.Unlock()
		set.Keys = out
		w.Header().Set("Cache-Control", "max-age=300")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *switchableJWKS) hide(kid string, hidden bool) {
	s.mu.Lock()
	s.hidden[kid] = hidden
	s.mu.Unlock()
}

// pinnedFleet is a fleet whose issuer's keys come from a switchable JWKS.
func pinnedFleet(t *testing.T, kind backendKind, keys authz.KeyOptions, n int) (*fleet, *switchableJWKS, []*replica) {
	iss := authztest.NewT(t)
	jwks := newSwitchableJWKS(t, iss)
	f := newFleet(t, kind.make(t), iss, keys)
	is := iss.OIDC(audience)
	is.JWKSURL = jwks.URL + "/jwks"
	var rs []*replica
	for range n {
		client := newClient(t, f.b.addr)
		s, err := redisstore.New(client, redisstore.WithPrefix(f.prefix), redisstore.WithTimeout(keys.StoreTimeout))
		if err != nil {
			t.Fatal(err)
		}
		v, err := authz.New([]authz.Issuer{is}, authz.WithStore(s), authz.WithStoreSecret(fleetSecret), authz.WithKeyOptions(keys), authz.WithoutBackground())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.Close() })
		rs = append(rs, &replica{Validator: v, client: client, store: s})
	}
	return f, jwks, rs
}

// TestFleetKidPublishedLater: a kid first seen a second before its key is
// published is accepted by every replica within one cooldown of first
// being seen, at the cost of one IdP fetch per cooldown for the fleet.
func TestFleetKidPublishedLater(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			keys := fleetKeys
			keys.UnknownKeyCooldown = 2 * time.Second
			f, jwks, rs := pinnedFleet(t, kind, keys, 3)
			kid, err := f.iss.Rotate("ES256")
			if err != nil {
				t.Fatal(err)
			}
			jwks.hide(kid, true)
			warmAll(t, rs)
			token := f.iss.MustMint(t, f.iss.Claims("u", audience), authztest.WithAlg("ES256"))
			first := time.Now()
			for i, r := range rs {
				if _, err := validate(r.Validator, token); !errors.Is(err, authz.ErrUnknownKey) {
					t.Fatalf("replica %d before publication: %v, want ErrUnknownKey", i, err)
				}
			}
			time.Sleep(time.Second)
			jwks.hide(kid, false)
			for i, r := range rs {
				for {
					_, err := validate(r.Validator, token)
					if err == nil {
						break
					}
					if !errors.Is(err, authz.ErrUnknownKey) {
						t.Fatalf("replica %d: %v", i, err)
					}
					if time.Since(first) > keys.UnknownKeyCooldown+time.Second {
						t.Fatalf("replica %d: kid published 1s after first seen still refused %v later (cooldown %v)", i, time.Since(first), keys.UnknownKeyCooldown)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			t.Logf("accepted by every replica %v after first seen (cooldown %v), %d JWKS fetches", time.Since(first).Round(time.Millisecond), keys.UnknownKeyCooldown, jwks.hits.Load())
		})
	}
}

// TestFleetFailedRefreshUnavailable: when the IdP fails the refresh for an
// unknown kid, every replica answers 503 (ErrKeysUnavailable), not 401, for
// that kid — also those that did not fetch — and the fleet fetched once.
func TestFleetFailedRefreshUnavailable(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			f, jwks, rs := pinnedFleet(t, kind, fleetKeys, 4)
			warmAll(t, rs)
			kid, err := f.iss.Rotate("ES256")
			if err != nil {
				t.Fatal(err)
			}
			_ = kid
			token := f.iss.MustMint(t, f.iss.Claims("u", audience), authztest.WithAlg("ES256"))
			jwks.fail.Store(true)
			before := jwks.hits.Load()
			for round := range 2 {
				for i, r := range rs {
					_, err := validate(r.Validator, token)
					if !errors.Is(err, authz.ErrKeysUnavailable) || errors.Is(err, authz.ErrInvalidToken) {
						t.Fatalf("round %d, replica %d, IdP failing: %v, want ErrKeysUnavailable", round, i, err)
					}
				}
			}
			if got := jwks.hits.Load() - before; got != 1 {
				t.Errorf("JWKS fetches = %d, want 1 for the fleet (one per cooldown)", got)
			}
		})
	}
}

// TestFleetFloodStoreReads: 20,000 tokens with random kids spread over ten
// replicas cost each replica at most one store read per cooldown, and the
// IdP at most one fetch per cooldown for the fleet.
func TestFleetFloodStoreReads(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			keys := fleetKeys
			keys.UnknownKeyCooldown = time.Second
			f := newFleet(t, kind.make(t), iss, keys)
			var stores []*countingStore
			var rs []*replica
			for range replicas {
				s, err := redisstore.New(newClient(t, f.b.addr), redisstore.WithPrefix(f.prefix), redisstore.WithTimeout(keys.StoreTimeout))
				if err != nil {
					t.Fatal(err)
				}
				cs := &countingStore{s: s}
				v, err := authz.New([]authz.Issuer{iss.OIDC(audience)}, authz.WithStore(cs), authz.WithStoreSecret(fleetSecret), authz.WithKeyOptions(keys), authz.WithoutBackground())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = v.Close() })
				stores, rs = append(stores, cs), append(rs, &replica{Validator: v})
			}
			warmAll(t, rs)
			signed := iss.MustMint(t, iss.Claims("u", audience))
			const total = 20000
			tokens := make([]string, total)
			for i := range tokens {
				tokens[i] = withKid(t, signed, "random-"+rand.Text())
			}
			for _, s := range stores {
				s.gets.Store(0)
			}
			before := iss.JWKSRequests()
			var next atomic.Int64
			var bad atomic.Int64
			var firstBad atomic.Pointer[error]
			var wg sync.WaitGroup
			start := time.Now()
			for w := range 4 * replicas {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= total {
							return
						}
						if _, err := validate(rs[w%replicas].Validator, tokens[i]); !errors.Is(err, authz.ErrUnknownKey) {
							bad.Add(1)
							firstBad.CompareAndSwap(nil, &err)
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			fetches := iss.JWKSRequests() - before
			limit := 1 + int64(elapsed/keys.UnknownKeyCooldown)
			var most, sum int64
			for _, s := range stores {
				n := s.gets.Load()
				most, sum = max(most, n), sum+n
			}
			if most > limit {
				t.Errorf("a replica made %d store reads in %v, want at most %d (one per %v cooldown)", most, elapsed.Round(time.Millisecond), limit, keys.UnknownKeyCooldown)
			}
			if fetches > limit {
				t.Errorf("%d JWKS fetches in %v, want at most %d", fetches, elapsed.Round(time.Millisecond), limit)
			}
			if n := bad.Load(); n > 0 {
				t.Errorf("%d random-kid requests did not get ErrUnknownKey; first: %v", n, *firstBad.Load())
			}
			t.Logf("%d random-kid tokens over %d replicas in %v: %d store reads in all (at most %d per replica, limit %d), %d JWKS fetches",
				total, replicas, elapsed.Round(time.Millisecond), sum, most, limit, fetches)
		})
	}
}
