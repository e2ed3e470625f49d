package fleettest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestFleetRedisOutage takes Redis away under load, stopped or frozen, and
// brings it back:
//
//   - no request with a cached key fails, and none hangs;
//   - while Redis is away, a rotation costs each replica a fetch of its own
//     and every request with the new kid passes; an unknown kid is refused
//     promptly; a fresh replica validates by fetching for itself;
//   - with the IdP down too, replicas keep serving the keys they hold, and a
//     fresh replica answers ErrKeysUnavailable (503), promptly;
//   - once Redis is back, sharing resumes by itself: a document one replica
//     fetches reaches the others through the announcement, and a replica
//     that starts then is warm from Redis.
func TestFleetRedisOutage(t *testing.T) {
	outages := []struct {
		name     string
		kind     backendKind
		down, up func(b *backend) func(*testing.T)
	}{
		{"miniredis/stopped", miniredisKind, func(b *backend) func(*testing.T) { return b.stop }, func(b *backend) func(*testing.T) { return b.start }},
		{"redis-server/killed", ownRedisKind, func(b *backend) func(*testing.T) { return b.stop }, func(b *backend) func(*testing.T) { return b.start }},
		{"redis-server/frozen", ownRedisKind, func(b *backend) func(*testing.T) { return b.pause }, func(b *backend) func(*testing.T) { return b.resume }},
	}
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) {
			b := o.kind.make(t)
			iss := authztest.NewT(t)
			f := newFleet(t, b, iss, faultKeys)
			rs := f.addN(t, 5) // background on: subscribed to announcements
			warmAll(t, rs)
			f.waitSubscribed(t, len(rs))
			if got := iss.JWKSRequests(); got != 1 {
				t.Fatalf("JWKS fetches for the fleet's start = %d, want 1", got)
			}
			cached := iss.MustMint(t, iss.Claims("u", audience))

			l := startLoad(t, rs, cached, 2)
			l.waitRequests(t, 200)
			o.down(b)(t)
			l.waitRequests(t, 200)

			// A rotation with Redis away: each replica fetches for itself.
			before := iss.JWKSRequests()
			if _, err := iss.Rotate("RS256"); err != nil {
				t.Fatal(err)
			}
			rotated := iss.MustMint(t, iss.Claims("u", audience))
			for i, r := range rs {
				mustValidate(t, r.Validator, rotated, fmt.Sprintf("replica %d, Redis away, new kid", i))
			}
			if got := iss.JWKSRequests() - before; got < 1 || got > int64(len(rs)) {
				t.Errorf("JWKS fetches for a rotation with Redis away = %d, want 1 to %d (at most one per replica)", got, len(rs))
			}
			took, err := validate(rs[0].Validator, withKid(t, cached, "unknown"))
			if !errors.Is(err, authz.ErrUnknownKey) || took > hangBound {
				t.Errorf("unknown kid, Redis away: Validate = %v after %v, want ErrUnknownKey within %v", err, took, hangBound)
			}
			fresh := f.add(t)
			mustValidate(t, fresh.Validator, rotated, "fresh replica, Redis away")
			_ = fresh.Close()

			// Both away: what is held keeps serving; nothing held is a 503.
			iss.SetFailure(authztest.Fail5xx)
			for i, r := range rs {
				mustValidate(t, r.Validator, cached, fmt.Sprintf("replica %d, Redis and IdP away, old kid", i))
				mustValidate(t, r.Validator, rotated, fmt.Sprintf("replica %d, Redis and IdP away, new kid", i))
			}
			cold := f.add(t)
			took, err = validate(cold.Validator, cached)
			if !errors.Is(err, authz.ErrKeysUnavailable) || took > hangBound {
				t.Errorf("fresh replica, Redis and IdP away: Validate = %v after %v, want ErrKeysUnavailable within %v", err, took, hangBound)
			}
			_ = cold.Close()
			iss.SetFailure(authztest.Healthy)
			l.waitRequests(t, 200)

			// Redis back. Wait until every replica's client answers (go-redis
			// may take a second to dial again after many failed dials), the
			// subscriptions are restored, and the store back-off and the
			// unknown-kid cooldown of the rotation above have passed.
			o.up(b)(t)
			for i, r := range rs {
				waitFor(t, fmt.Sprintf("replica %d's Redis client to answer", i), func() bool {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					return r.client.Ping(ctx).Err() == nil
				})
			}
			f.waitSubscribed(t, len(rs))
			l.waitRequests(t, 200)
			l.stop(t, o.name)
			time.Sleep(max(2*storeBackoff, faultKeys.UnknownKeyCooldown))

			before = iss.JWKSRequests()
			if _, err := iss.Rotate("RS256"); err != nil {
				t.Fatal(err)
			}
			again := iss.MustMint(t, iss.Claims("u", audience))
			mustValidate(t, rs[0].Validator, again, "replica 0, Redis back, newest kid")
			want := status(rs[0].Validator)
			for i, r := range rs[1:] {
				waitFor(t, fmt.Sprintf("replica %d to adopt the announced keys", i+1), func() bool {
					return status(r.Validator).FetchedAt.UnixMilli() == want.FetchedAt.UnixMilli()
				})
				mustValidate(t, r.Validator, again, fmt.Sprintf("replica %d, Redis back, newest kid", i+1))
			}
			late := f.add(t)
			mustValidate(t, late.Validator, again, "replica started after Redis came back")
			if got := iss.JWKSRequests() - before; got != 1 {
				t.Errorf("JWKS fetches for a rotation once Redis is back = %d, want 1 for the fleet", got)
			}
		})
	}
}

// TestFleetRedisHungAtStart: replicas that start while Redis takes
// connections but never answers validate anyway, each request bounded by
// the store timeout and a fetch of their own, and follow a rotation.
func TestFleetRedisHungAtStart(t *testing.T) {
	iss := authztest.NewT(t)
	f := newFleet(t, &backend{addr: silentServer(t)}, iss, faultKeys)
	rs := f.addN(t, 3)
	token := iss.MustMint(t, iss.Claims("u", audience))
	for i, r := range rs {
		mustValidate(t, r.Validator, token, fmt.Sprintf("replica %d, Redis hung", i))
	}
	before := iss.JWKSRequests()
	if _, err := iss.Rotate("ES256"); err != nil {
		t.Fatal(err)
	}
	rotated := iss.MustMint(t, iss.Claims("u", audience), authztest.WithAlg("ES256"))
	for i, r := range rs {
		mustValidate(t, r.Validator, rotated, fmt.Sprintf("replica %d, Redis hung, new kid", i))
	}
	if got := iss.JWKSRequests() - before; got < 1 || got > int64(len(rs)) {
		t.Errorf("JWKS fetches for a rotation with Redis hung = %d, want 1 to %d", got, len(rs))
	}
	took, err := validate(rs[0].Validator, withKid(t, token, "unknown"))
	if !errors.Is(err, authz.ErrUnknownKey) || took > hangBound {
		t.Errorf("unknown kid, Redis hung: Validate = %v after %v", err, took)
	}
}

// TestFleetIdPDown: with the IdP down and every replica's keys due, the
// replicas keep serving their keys, and the IdP sees one refresh attempt
// from the fleet per RetryMin, not one per replica.
func TestFleetIdPDown(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			keys := fleetKeys
			keys.RetryMin, keys.RetryMax = 2*time.Second, 4*time.Second
			f := newFleet(t, kind.make(t), iss, keys)
			var skew atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			rs := f.addN(t, replicas, authz.WithoutBackground(), authz.WithClock(clock))
			warmAll(t, rs)
			token := iss.MustMint(t, iss.Claims("u", audience))

			iss.SetFailure(authztest.Fail5xx)
			skew.Store(int64(6 * time.Minute)) // past max-age 300: stale, within MaxStale
			attempts := func() int64 { return iss.JWKSRequests() + iss.DiscoveryRequests() }
			before := attempts()
			start := time.Now()
			var wg sync.WaitGroup
			for i, r := range rs {
				wg.Go(func() { mustValidate(t, r.Validator, token, fmt.Sprintf("replica %d, IdP down, stale keys", i)) })
			}
			wg.Wait()
			// Each request started a refresh in the background; give the
			// refreshes time to reach the IdP, or to find they need not.
			waitFor(t, "a refresh attempt", func() bool { return attempts() > before })
			time.Sleep(300 * time.Millisecond)
			got := attempts() - before
			elapsed := time.Since(start)
			if limit := 1 + int64(elapsed/keys.RetryMin); got > limit {
				t.Errorf("IdP requests from %d replicas with stale keys in %v = %d, want at most %d (one per RetryMin %v)",
					replicas, elapsed.Round(time.Millisecond), got, limit, keys.RetryMin)
			}
			for i, r := range rs {
				mustValidate(t, r.Validator, token, fmt.Sprintf("replica %d, IdP down, after the refreshes", i))
			}
			t.Logf("%d replicas with stale keys, IdP down: %d IdP requests in %v", replicas, got, elapsed.Round(time.Millisecond))
		})
	}
}
