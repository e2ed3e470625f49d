package redisstore_test

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// newMiniredis starts a miniredis whose clock follows real time. miniredis
// moves its clock only when told to, so without this no TTL would ever pass.
func newMiniredis(t testing.TB) *miniredis.Miniredis {
	t.Helper()
	m := miniredis.RunT(t)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				now := time.Now()
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return m
}

// newClient returns a client for addr that is closed when t ends.
func newClient(t testing.TB, addr string, ctxTimeouts bool) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: ctxTimeouts})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newStore returns a Store on client or fails t.
func newStore(t testing.TB, client goredis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	// A generous default op timeout: CI runs packages in parallel under
	// -race on two cores. Tests of the timeout itself pass their own.
	opts = append([]redisstore.Option{redisstore.WithTimeout(3 * time.Second)}, opts...)
	s, err := redisstore.New(client, opts...)
	if err != nil {
		t.Fatalf("redisstore.New = %v", err)
	}
	return s
}

// testPrefix returns a key prefix of its own for one test against a shared
// Redis, and removes every key under it when t ends.
func testPrefix(t testing.TB, client goredis.UniversalClient) string {
	t.Helper()
	prefix := "jwtguard-test:" + rand.Text()[:10] + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		del := func(ctx context.Context, c goredis.UniversalClient) error {
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				if err := c.Del(ctx, iter.Val()).Err(); err != nil {
					return err
				}
			}
			return iter.Err()
		}
		var err error
		if cc, ok := client.(*goredis.ClusterClient); ok {
			err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return del(ctx, c) })
		} else {
			err = del(ctx, client)
		}
		if err != nil {
			t.Errorf("cleaning up keys under %q: %v", prefix, err)
		}
	})
	return prefix
}

// silentServer is a Redis that never answers (redistest.SilentServer).
func silentServer(t testing.TB) string { return redistest.SilentServer(t) }

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// realRedisAddr returns the address of a real Redis: $REDIS_ADDR, or a
// throwaway redis-server (redistest.Addr), or skips t naming the missing
// server.
func realRedisAddr(t testing.TB) string { return redistest.Addr(t) }

// quietLogger drops go-redis's log lines: the fault tests make it log every
// failed dial. Set JWTGUARD_REDIS_LOG=1 to see them.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	if os.Getenv("JWTGUARD_REDIS_LOG") != "1" {
		goredis.SetLogger(quietLogger{})
	}
	redistest.Main(m)
}
