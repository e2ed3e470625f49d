package fleettest_test

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/memory"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// countingStore passes every call on to a Redis Store, capabilities
// included, and counts them.
type countingStore struct {
	s     *redisstore.Store
	calls atomic.Int64
	gets  atomic.Int64 // document reads
}

var (
	_ keystore.Store    = (*countingStore)(nil)
	_ keystore.Locker   = (*countingStore)(nil)
	_ keystore.Notifier = (*countingStore)(nil)
	_ keystore.Pinger   = (*countingStore)(nil)
	_ keystore.Shared   = (*countingStore)(nil)

	_ keystore.LockInspector = (*countingStore)(nil)
)

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.calls.Add(1)
	c.gets.Add(1)
	return c.s.Get(ctx, key)
}

func (c *countingStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	c.calls.Add(1)
	return c.s.Put(ctx, key, value, ttl)
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.calls.Add(1)
	return c.s.Delete(ctx, key)
}

func (c *countingStore) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	c.calls.Add(1)
	return c.s.TryLock(ctx, key, ttl)
}

func (c *countingStore) Publish(ctx context.Context, key string) error {
	c.calls.Add(1)
	return c.s.Publish(ctx, key)
}

func (c *countingStore) Subscribe(ctx context.Context, fn func(string)) error {
	c.calls.Add(1)
	return c.s.Subscribe(ctx, fn)
}

func (c *countingStore) LockTTL(ctx context.Context, key string) (time.Duration, error) {
	c.calls.Add(1)
	return c.s.LockTTL(ctx, key)
}

func (c *countingStore) Shared() bool { return c.s.Shared() }

func (c *countingStore) Ping(ctx context.Context) error {
	c.calls.Add(1)
	return c.s.Ping(ctx)
}

// TestWarmPathNoStoreIO: once a replica holds fresh keys, validating does
// not call the store at all, whatever the store.
func TestWarmPathNoStoreIO(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			b := kind.make(t)
			f := newFleet(t, b, iss, fleetKeys)
			s, err := redisstore.New(newClient(t, b.addr), redisstore.WithPrefix(f.prefix))
			if err != nil {
				t.Fatal(err)
			}
			cs := &countingStore{s: s}
			v, err := authz.New([]authz.Issuer{iss.OIDC(audience)}, authz.WithStore(cs), authz.WithStoreSecret(fleetSecret), authz.WithKeyOptions(fleetKeys), authz.WithoutBackground())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = v.Close() })
			warmAll(t, []*replica{{Validator: v}})
			if cs.calls.Load() == 0 {
				t.Fatal("Warm made no store call: the store is not in use")
			}
			tokens := []string{
				iss.MustMint(t, iss.Claims("u", audience)),
				iss.MustMint(t, iss.Claims("v", audience)),
			}
			cs.calls.Store(0)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 125 {
						if _, err := validate(v, tokens[(g+i)%len(tokens)]); err != nil {
							t.Errorf("Validate = %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			if n := cs.calls.Load(); n != 0 {
				t.Errorf("1,000 warm validations made %d store calls, want 0", n)
			}
		})
	}
}

// BenchmarkValidateWarm validates a token whose keys are held, with each
// store. The Redis stores match the memory store: the warm path touches no
// store. Every Validator is built and warmed before any is timed, so that
// nothing but the store differs between the sub-benchmarks.
func BenchmarkValidateWarm(b *testing.B) {
	iss := authztest.NewT(b)
	token := iss.MustMint(b, iss.Claims("u", audience))
	m := miniredis.RunT(b) // no clock ticker: nothing here expires
	stores := []struct {
		name string
		make func() keystore.Store
	}{
		{"memory", func() keystore.Store { return memory.New() }},
		{"redis=miniredis", func() keystore.Store { return newBenchRedisStore(b, m.Addr()) }},
	}
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		stores = append(stores, struct {
			name string
			make func() keystore.Store
		}{"redis=real", func() keystore.Store { return newBenchRedisStore(b, addr) }})
	}
	ctx := context.Background()
	vs := make([]*authz.Validator, len(stores))
	for i, st := range stores {
		v, err := authz.New([]authz.Issuer{iss.OIDC(audience)}, authz.WithStore(st.make()), authz.WithStoreSecret(fleetSecret), authz.WithoutBackground())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = v.Close() })
		if err := v.Warm(ctx); err != nil {
			b.Fatal(err)
		}
		vs[i] = v
	}
	for i, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := vs[i].Validate(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// newBenchRedisStore returns a Redis Store on addr under a prefix of its
// own, removed when b ends.
func newBenchRedisStore(b *testing.B, addr string) keystore.Store {
	client := newClient(b, addr)
	prefix := "jwtguard-fleettest-bench:" + rand.Text()[:10] + ":"
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, _ := client.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			_ = client.Del(ctx, keys...).Err()
		}
	})
	s, err := redisstore.New(client, redisstore.WithPrefix(prefix))
	if err != nil {
		b.Fatal(err)
	}
	return s
}
