package fleettest_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

const replicas = 10

// TestFleetRotation: ten replicas start together at the cost of one JWKS
// fetch; after a key rotation, 1,000 concurrent requests carrying the new
// kid, spread over the replicas, cost the IdP exactly one more fetch, and
// every request passes. Replicas that do not fetch wait for the fetching
// replica's document: by polling the store, or woken by its announcement.
func TestFleetRotation(t *testing.T) {
	modes := []struct {
		name string
		opts []authz.Option
	}{
		{"polling", []authz.Option{authz.WithoutBackground()}},
		{"announced", nil}, // background: start-up fetch and subscription
	}
	for _, kind := range sharingBackends {
		for _, mode := range modes {
			t.Run(kind.name+"/"+mode.name, func(t *testing.T) {
				iss := authztest.NewT(t)
				f := newFleet(t, kind.make(t), iss, fleetKeys)
				rs := f.addN(t, replicas, mode.opts...)
				warmAll(t, rs)
				if got := iss.JWKSRequests(); got != 1 {
					t.Fatalf("JWKS fetches for %d replicas starting = %d, want 1", replicas, got)
				}

				before, discBefore := iss.JWKSRequests(), iss.DiscoveryRequests()
				kid, err := iss.Rotate("ES256")
				if err != nil {
					t.Fatal(err)
				}
				token := iss.MustMint(t, iss.Claims("u", audience), authztest.WithAlg("ES256"))

				const requests = 1000
				var (
					wg     sync.WaitGroup
					start  = make(chan struct{})
					errs   = make(chan error, requests)
					mu     sync.Mutex
					oldest time.Duration
				)
				for i := range requests {
					r := rs[i%len(rs)]
					wg.Go(func() {
						<-start
						took, err := validate(r.Validator, token)
						if err != nil {
							errs <- err
						}
						mu.Lock()
						oldest = max(oldest, took)
						mu.Unlock()
					})
				}
				close(start)
				wg.Wait()
				close(errs)
				failed := 0
				for err := range errs {
					if failed == 0 {
						t.Errorf("request with the new kid %q failed: %v", kid, err)
					}
					failed++
				}
				if failed > 0 {
					t.Errorf("%d of %d requests failed", failed, requests)
				}
				if oldest > hangBound {
					t.Errorf("a request took %v, more than %v", oldest, hangBound)
				}
				if got := iss.JWKSRequests() - before; got != 1 {
					t.Errorf("JWKS fetches for the rotation = %d, want exactly 1 for the fleet", got)
				}
				if got := iss.DiscoveryRequests() - discBefore; got != 0 {
					t.Errorf("discovery requests for the rotation = %d, want 0: the jwks_uri travels in the stored document", got)
				}
				for i, r := range rs {
					if s := status(r.Validator); s.Keys != 2 {
						t.Errorf("replica %d holds %d keys, want 2", i, s.Keys)
					}
				}
				t.Logf("%d requests over %d replicas: 1 JWKS fetch, longest request %v", requests, replicas, oldest.Round(time.Microsecond))
			})
		}
	}
}

// TestFleetWarmStart: a replica that starts while Redis holds the issuer's
// document validates without touching the IdP, even with the IdP down. With
// a document past its freshness (but within MaxStale) and the IdP down, it
// still validates: it tries the IdP, fails, and serves the stale keys.
func TestFleetWarmStart(t *testing.T) {
	tests := []struct {
		name    string
		failure authztest.Failure
		// skew moves the new replica's clock forward, past the document's
		// freshness (max-age 300s).
		skew      time.Duration
		wantNoIdP bool
	}{
		{name: "IdP healthy", failure: authztest.Healthy, wantNoIdP: true},
		{name: "IdP down", failure: authztest.Fail5xx, wantNoIdP: true},
		{name: "IdP down, stale document", failure: authztest.Fail5xx, skew: 10 * time.Minute},
	}
	for _, kind := range sharingBackends {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
				iss := authztest.NewT(t)
				f := newFleet(t, kind.make(t), iss, fleetKeys)
				warmAll(t, []*replica{f.add(t, authz.WithoutBackground())})
				token := iss.MustMint(t, iss.Claims("u", audience))

				iss.SetFailure(tt.failure)
				jwks, disc := iss.JWKSRequests(), iss.DiscoveryRequests()
				clock := func() time.Time { return time.Now().Add(tt.skew) }
				r := f.add(t, authz.WithClock(clock)) // background on: it warms up by itself
				mustValidate(t, r.Validator, token, "new replica")
				if tt.wantNoIdP {
					if d, dd := iss.JWKSRequests()-jwks, iss.DiscoveryRequests()-disc; d != 0 || dd != 0 {
						t.Errorf("new replica made %d JWKS and %d discovery requests, want none", d, dd)
					}
				}
				s := status(r.Validator)
				if stale := !clock().Before(s.ExpiresAt); stale != (tt.skew > 0) {
					t.Errorf("keys stale = %v (expire %v), want %v", stale, s.ExpiresAt, tt.skew > 0)
				}
			})
		}
	}
}

// TestFleetUnknownKidFlood: a flood of tokens with random kids spread over
// the replicas costs the IdP at most one fetch per cooldown for the whole
// fleet, and every such request is rejected as an unknown key, promptly.
func TestFleetUnknownKidFlood(t *testing.T) {
	tests := []struct {
		name     string
		cooldown time.Duration
		// flood is how long the flood lasts; zero sends one wave.
		flood time.Duration
	}{
		{name: "one cooldown", cooldown: time.Minute},
		{name: "several cooldowns", cooldown: 250 * time.Millisecond, flood: 1500 * time.Millisecond},
	}
	for _, kind := range sharingBackends {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
				iss := authztest.NewT(t)
				keys := fleetKeys
				keys.UnknownKeyCooldown = tt.cooldown
				f := newFleet(t, kind.make(t), iss, keys)
				rs := f.addN(t, replicas, authz.WithoutBackground())
				warmAll(t, rs)
				signed := iss.MustMint(t, iss.Claims("u", audience))

				const workers = 3 // per replica
				before := iss.JWKSRequests()
				var (
					wg       sync.WaitGroup
					mu       sync.Mutex
					sent     int
					firstErr error
					longest  time.Duration
				)
				start := time.Now()
				deadline := start.Add(tt.flood)
				for _, r := range rs {
					for range workers {
						wg.Go(func() {
							for i := 0; i == 0 || time.Now().Before(deadline); i++ {
								took, err := validate(r.Validator, withKid(t, signed, "random-"+rand.Text()))
								mu.Lock()
								sent++
								longest = max(longest, took)
								if !errors.Is(err, authz.ErrUnknownKey) && firstErr == nil {
									firstErr = err
								}
								mu.Unlock()
							}
						})
					}
				}
				wg.Wait()
				// Read the count before the clock: a refresh may outlive
				// the request that started it.
				fetches := iss.JWKSRequests() - before
				elapsed := time.Since(start)
				if firstErr != nil {
					t.Errorf("a random kid: Validate = %v, want ErrUnknownKey", firstErr)
				}
				if longest > hangBound {
					t.Errorf("a request took %v, more than %v", longest, hangBound)
				}
				// Each fetch takes the fleet-wide cooldown, so fetch k
				// comes at least (k-1) cooldowns after the first.
				limit := 1 + int64(elapsed/tt.cooldown)
				if fetches < 1 || fetches > limit {
					t.Errorf("%d requests over %v: %d JWKS fetches, want 1 to %d (one per %v cooldown)", sent, elapsed.Round(time.Millisecond), fetches, limit, tt.cooldown)
				}
				if tt.flood > 2*tt.cooldown && fetches < 2 {
					t.Errorf("%d JWKS fetches in %v with a %v cooldown: the cooldown never expired", fetches, elapsed.Round(time.Millisecond), tt.cooldown)
				}
				t.Logf("%d random-kid requests over %d replicas in %v: %d JWKS fetches (limit %d), longest request %v",
					sent, replicas, elapsed.Round(time.Millisecond), fetches, limit, longest.Round(time.Microsecond))

				// The cooldown is a lock in Redis that expires by itself.
				ctx := context.Background()
				if ttl, err := f.admin.PTTL(ctx, f.cooldownKey()).Result(); tt.flood == 0 && (err != nil || ttl <= 0 || ttl > tt.cooldown) {
					t.Errorf("PTTL %s = %v, %v; want within (0, %v]", f.cooldownKey(), ttl, err, tt.cooldown)
				}
			})
		}
	}
}

// TestFleetAnnouncement: after one replica fetches new keys, the others,
// which requested nothing and have nothing due, hold the new key set: they
// adopt it from the announcement.
func TestFleetAnnouncement(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			f := newFleet(t, kind.make(t), iss, fleetKeys)
			// Background on (it subscribes); with max-age 300 and MinTTL
			// 1m, no scheduled refresh comes due during the test.
			rs := f.addN(t, 4)
			warmAll(t, rs)
			f.waitSubscribed(t, len(rs))
			fetched := status(rs[0].Validator).FetchedAt

			before := iss.JWKSRequests()
			if _, err := iss.Rotate("RS256"); err != nil {
				t.Fatal(err)
			}
			mustValidate(t, rs[0].Validator, iss.MustMint(t, iss.Claims("u", audience)), "fetching replica")
			if got := iss.JWKSRequests() - before; got != 1 {
				t.Fatalf("JWKS fetches = %d, want 1", got)
			}
			want := status(rs[0].Validator)
			if want.Keys != 2 || !want.FetchedAt.After(fetched) {
				t.Fatalf("fetching replica: %d keys fetched at %v, want 2 fetched after %v", want.Keys, want.FetchedAt, fetched)
			}
			for i, r := range rs[1:] {
				waitFor(t, "an idle replica to adopt the announced keys", func() bool {
					s := status(r.Validator)
					return s.Keys == 2 && s.FetchedAt.UnixMilli() == want.FetchedAt.UnixMilli()
				})
				if got := status(r.Validator); got.ExpiresAt.UnixMilli() != want.ExpiresAt.UnixMilli() {
					t.Errorf("replica %d: keys expire at %v, want %v", i+1, got.ExpiresAt, want.ExpiresAt)
				}
			}
			if got := iss.JWKSRequests() - before; got != 1 {
				t.Errorf("JWKS fetches = %d, want still 1", got)
			}
		})
	}
}

// TestFleetKeyLayout checks the Redis keys the fleet uses, as documented in
// docs/keystores.md.
func TestFleetKeyLayout(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			f := newFleet(t, kind.make(t), iss, fleetKeys)
			r := f.add(t, authz.WithoutBackground())
			warmAll(t, []*replica{r})
			ctx := context.Background()

			ttl, err := f.admin.PTTL(ctx, f.docKey()).Result()
			// max-age 300s plus MaxStale (6h by default).
			if want := 300*time.Second + 6*time.Hour; err != nil || ttl <= 6*time.Hour || ttl > want {
				t.Errorf("PTTL %s = %v, %v; want within (6h, %v]", f.docKey(), ttl, err, want)
			}
			if n, err := f.admin.Exists(ctx, f.fetchLockKey()).Result(); err != nil || n != 0 {
				t.Errorf("EXISTS %s = %d, %v after the fetch; want it released", f.fetchLockKey(), n, err)
			}
			took, err := validate(r.Validator, withKid(t, iss.MustMint(t, iss.Claims("u", audience)), "unknown"))
			if !errors.Is(err, authz.ErrUnknownKey) || took > hangBound {
				t.Fatalf("unknown kid: Validate = %v after %v", err, took)
			}
			if ttl, err := f.admin.PTTL(ctx, f.cooldownKey()).Result(); err != nil || ttl <= 0 || ttl > time.Minute {
				t.Errorf("PTTL %s = %v, %v; want within (0, 1m]", f.cooldownKey(), ttl, err)
			}
			keys, err := f.admin.Keys(ctx, f.prefix+"*").Result()
			if err != nil || len(keys) != 2 {
				t.Errorf("keys under the prefix: %q, %v; want the document and the cooldown", keys, err)
			}
		})
	}
}
