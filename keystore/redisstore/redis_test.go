package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/keystoretest"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// clientModes are the two ways a go-redis client treats ctx deadlines; the
// Store takes a different path for each.
var clientModes = []struct {
	name        string
	ctxTimeouts bool
}{
	{name: "ContextTimeoutEnabled", ctxTimeouts: true},
	{name: "ContextTimeoutDisabled", ctxTimeouts: false},
}

func TestConformanceMiniredis(t *testing.T) {
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			keystoretest.Run(t, func(t *testing.T) keystore.Store {
				m := newMiniredis(t)
				return newStore(t, newClient(t, m.Addr(), mode.ctxTimeouts))
			})
		})
	}
}

func TestConformanceRealRedis(t *testing.T) {
	addr := realRedisAddr(t)
	client := newClient(t, addr, true)
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s does not answer PING: %v", addr, err)
	}
	keystoretest.Run(t, func(t *testing.T) keystore.Store {
		return newStore(t, client, redisstore.WithPrefix(testPrefix(t, client)))
	})
}

func TestNew(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: deadAddr(t)})
	defer client.Close()
	tests := []struct {
		name    string
		client  goredis.UniversalClient
		opts    []redisstore.Option
		wantErr bool
	}{
		{name: "defaults", client: client},
		{name: "all options", client: client, opts: []redisstore.Option{
			redisstore.WithPrefix("app:"), redisstore.WithTimeout(time.Second), redisstore.WithChannel("keys")}},
		{name: "empty prefix", client: client, opts: []redisstore.Option{redisstore.WithPrefix("")}},
		{name: "nil client", client: nil, wantErr: true},
		{name: "zero timeout", client: client, opts: []redisstore.Option{redisstore.WithTimeout(0)}, wantErr: true},
		{name: "negative timeout", client: client, opts: []redisstore.Option{redisstore.WithTimeout(-time.Second)}, wantErr: true},
		{name: "empty channel", client: client, opts: []redisstore.Option{redisstore.WithChannel("")}, wantErr: true},
		{name: "empty prefix and no channel", client: client, opts: []redisstore.Option{redisstore.WithPrefix(""), redisstore.WithChannel("")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redisstore.New(tt.client, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New = %v, %v; wantErr %v", s, err, tt.wantErr)
			}
			if err == nil && s == nil {
				t.Fatal("New returned a nil Store and no error")
			}
		})
	}
}

// TestKeyLayout checks the layout documented in doc.go.
func TestKeyLayout(t *testing.T) {
	tests := []struct {
		name               string
		opts               []redisstore.Option
		doc, lock, channel string
	}{
		{name: "default", doc: "jwtguard:doc:iss/1", lock: "jwtguard:lock:iss/1", channel: "jwtguard:changed"},
		{name: "prefix", opts: []redisstore.Option{redisstore.WithPrefix("staging:")},
			doc: "staging:doc:iss/1", lock: "staging:lock:iss/1", channel: "staging:changed"},
		{name: "prefix and channel", opts: []redisstore.Option{redisstore.WithPrefix("p/"), redisstore.WithChannel("announce")},
			doc: "p/doc:iss/1", lock: "p/lock:iss/1", channel: "announce"},
		{name: "empty prefix", opts: []redisstore.Option{redisstore.WithPrefix("")}, doc: "doc:iss/1", lock: "lock:iss/1", channel: "changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			m := newMiniredis(t)
			client := newClient(t, m.Addr(), true)
			s := newStore(t, client, tt.opts...)

			if err := s.Put(ctx, "iss/1", []byte("doc"), 1500*time.Microsecond+time.Minute); err != nil {
				t.Fatal(err)
			}
			if got, err := m.Get(tt.doc); err != nil || got != "doc" {
				t.Errorf("Redis key %q = %q, %v; want %q", tt.doc, got, err, "doc")
			}
			// PX is whole milliseconds: a ttl is rounded up.
			if got, want := m.TTL(tt.doc), time.Minute+2*time.Millisecond; got > want || got < want-50*time.Millisecond {
				t.Errorf("TTL of %q = %v, want about %v", tt.doc, got, want)
			}

			unlock, ok, err := s.TryLock(ctx, "iss/1", time.Minute)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if token, err := m.Get(tt.lock); err != nil || len(token) < 16 {
				t.Errorf("Redis key %q = %q, %v; want a random token", tt.lock, token, err)
			}
			if err := unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if m.Exists(tt.lock) {
				t.Errorf("Redis key %q still exists after unlock", tt.lock)
			}

			sub := client.Subscribe(ctx, tt.channel)
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(ctx, "iss/1"); err != nil {
				t.Fatal(err)
			}
			msg, err := sub.ReceiveMessage(ctx)
			if err != nil || msg.Channel != tt.channel || msg.Payload != "iss/1" {
				t.Errorf("announcement = %+v, %v; want %q on channel %q", msg, err, "iss/1", tt.channel)
			}
		})
	}
}

// TestPutTTLZeroClearsExpiry checks that ttl <= 0 sends a plain SET: a
// negative ttl must not become go-redis's KEEPTTL.
func TestPutTTLZeroClearsExpiry(t *testing.T) {
	for _, ttl := range []time.Duration{0, -1, -time.Second} {
		t.Run(fmt.Sprint(ttl), func(t *testing.T) {
			ctx := context.Background()
			m := newMiniredis(t)
			s := newStore(t, newClient(t, m.Addr(), true))
			if err := s.Put(ctx, "k", []byte("old"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, "k", []byte("new"), ttl); err != nil {
				t.Fatal(err)
			}
			if got := m.TTL("jwtguard:doc:k"); got != 0 {
				t.Errorf("TTL after Put with ttl %v = %v, want none", ttl, got)
			}
		})
	}
}

// op is one Store method, called for the fault tests.
type op struct {
	name string
	call func(ctx context.Context, s *redisstore.Store) error
}

var ops = []op{
	{"Get", func(ctx context.Context, s *redisstore.Store) error { _, err := s.Get(ctx, "k"); return err }},
	{"Put", func(ctx context.Context, s *redisstore.Store) error { return s.Put(ctx, "k", []byte("v"), time.Minute) }},
	{"Delete", func(ctx context.Context, s *redisstore.Store) error { return s.Delete(ctx, "k") }},
	{"TryLock", func(ctx context.Context, s *redisstore.Store) error {
		unlock, ok, err := s.TryLock(ctx, "k", time.Minute)
		if ok || unlock != nil {
			return errors.New("TryLock took the lock of an unreachable Redis")
		}
		return err
	}},
	{"Publish", func(ctx context.Context, s *redisstore.Store) error { return s.Publish(ctx, "k") }},
	{"Subscribe", func(ctx context.Context, s *redisstore.Store) error { return s.Subscribe(ctx, func(string) {}) }},
	{"Ping", func(ctx context.Context, s *redisstore.Store) error { return s.Ping(ctx) }},
}

// TestUnreachable checks that every method of a Store whose Redis is gone
// or hung fails, with an error other than ErrNotFound, within the operation
// timeout.
func TestUnreachable(t *testing.T) {
	const timeout = 100 * time.Millisecond
	targets := []struct {
		name string
		addr func(t *testing.T) string
		// hung: the server takes connections but never answers, so the
		// operation timeout is what ends each call.
		hung bool
	}{
		{name: "closed miniredis", addr: func(t *testing.T) string {
			m := newMiniredis(t)
			addr := m.Addr()
			m.Close()
			return addr
		}},
		{name: "dead port", addr: func(t *testing.T) string { return deadAddr(t) }},
		{name: "hung server", addr: func(t *testing.T) string { return silentServer(t) }, hung: true},
	}
	for _, target := range targets {
		for _, mode := range clientModes {
			t.Run(target.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				addr := target.addr(t)
				s := newStore(t, newClient(t, addr, mode.ctxTimeouts), redisstore.WithTimeout(timeout))
				for _, o := range ops {
					// With a ctx that can end only by a deadline (or not at
					// all) and a client that applies deadlines, the Store
					// calls go-redis directly; otherwise it watches the call
					// from another goroutine.
					for _, cancelable := range []bool{false, true} {
						ctx, cancel := context.Background(), context.CancelFunc(func() {})
						if cancelable {
							ctx, cancel = context.WithCancel(ctx)
						}
						start := time.Now()
						err := o.call(ctx, s)
						took := time.Since(start)
						cancel()
						switch {
						case err == nil:
							t.Errorf("%s = nil, want an error", o.name)
						case errors.Is(err, keystore.ErrNotFound):
							t.Errorf("%s = %v, which matches ErrNotFound; an outage is not a miss", o.name, err)
						case target.hung && !errors.Is(err, context.DeadlineExceeded):
							t.Errorf("%s = %v, want an error matching context.DeadlineExceeded", o.name, err)
						}
						if limit := timeout + 250*time.Millisecond; took > limit {
							t.Errorf("%s (cancelable ctx: %v) took %v, want at most %v", o.name, cancelable, took, limit)
						}
					}
				}
			})
		}
	}
}

// TestCallerCancel checks that a call ends when the caller's ctx does, long
// before the operation timeout.
func TestCallerCancel(t *testing.T) {
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, newClient(t, silentServer(t), mode.ctxTimeouts), redisstore.WithTimeout(time.Minute))
			for _, o := range ops {
				for _, cause := range []error{context.Canceled, context.DeadlineExceeded} {
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
					if cause == context.Canceled {
						ctx, cancel = context.WithCancel(context.Background())
						time.AfterFunc(50*time.Millisecond, cancel)
					}
					start := time.Now()
					err := o.call(ctx, s)
					took := time.Since(start)
					cancel()
					if !errors.Is(err, cause) {
						t.Errorf("%s = %v, want an error matching %v", o.name, err, cause)
					}
					if took > time.Second {
						t.Errorf("%s took %v after its ctx ended at 50ms", o.name, took)
					}
				}
			}
		})
	}
}

// TestRecovers checks that a Store works again, subscription included, once
// its Redis is back.
func TestRecovers(t *testing.T) {
	ctx := context.Background()
	m := newMiniredis(t)
	s := newStore(t, newClient(t, m.Addr(), true), redisstore.WithTimeout(200*time.Millisecond))

	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan string, 100)
	if err := s.Subscribe(subCtx, func(k string) { got <- k }); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}

	m.Close()
	if _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Get with Redis down = %v, want an outage error", err)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := s.Get(ctx, "k")
		if err == nil && string(v) == "v" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get after Redis came back = %q, %v", v, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Announcements made while the subscription reconnects are lost, so
	// keep announcing until one arrives.
	for {
		if err := s.Publish(ctx, "again"); err != nil && time.Now().After(deadline) {
			t.Fatalf("Publish after Redis came back = %v", err)
		}
		select {
		case k := <-got:
			if k != "again" {
				t.Fatalf("subscriber got %q, want %q", k, "again")
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("subscription did not recover within 5s of Redis coming back")
		}
	}
}

// TestSubscribeNoLeak checks that a subscription's goroutines and connection
// end with its ctx.
func TestSubscribeNoLeak(t *testing.T) {
	m := newMiniredis(t)
	client := newClient(t, m.Addr(), true)
	s := newStore(t, client)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil { // open the pool's connection first
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()

	subCtx, cancel := context.WithCancel(ctx)
	for range 10 {
		if err := s.Subscribe(subCtx, func(string) {}); err != nil {
			t.Fatal(err)
		}
	}
	// A backlog of announcements must not keep anything alive.
	for range 500 {
		if err := s.Publish(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(m.PubSubChannels("*")); n != 1 {
		t.Fatalf("%d channels with subscribers, want 1", n)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before || len(m.PubSubChannels("*")) > 0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines and %d channels after cancel, %d goroutines before subscribing\n%s",
				runtime.NumGoroutine(), len(m.PubSubChannels("*")), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubscribeNilFn(t *testing.T) {
	m := newMiniredis(t)
	s := newStore(t, newClient(t, m.Addr(), true))
	if err := s.Subscribe(context.Background(), nil); err == nil {
		t.Fatal("Subscribe(ctx, nil) = nil, want an error")
	}
}

// TestErrorsWrap checks that errors wrap the go-redis error.
func TestErrorsWrap(t *testing.T) {
	m := newMiniredis(t)
	s := newStore(t, newClient(t, m.Addr(), true))
	m.SetError("MOCKERR injected")
	_, err := s.Get(context.Background(), "k")
	var redisErr goredis.Error
	if !errors.As(err, &redisErr) {
		t.Fatalf("Get = %v (%T), want an error wrapping a goredis.Error", err, err)
	}
}

func BenchmarkGet(b *testing.B) {
	m := newMiniredis(b)
	value := make([]byte, 4<<10)
	for _, mode := range clientModes {
		for _, ctxKind := range []string{"Background", "WithCancel"} {
			b.Run(mode.name+"/"+ctxKind, func(b *testing.B) {
				ctx := context.Background()
				if ctxKind == "WithCancel" {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					defer cancel()
				}
				s := newStore(b, newClient(b, m.Addr(), mode.ctxTimeouts))
				if err := s.Put(ctx, "https://issuer.example.com/", value, time.Hour); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(value)))
				for b.Loop() {
					if _, err := s.Get(ctx, "https://issuer.example.com/"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestDeadlineCallsStartNoGoroutine: with a client that applies ctx
// deadlines, a call whose ctx ends only by its deadline (every call jwtguard
// makes) runs on the caller's goroutine, bounded once, and starts none: 50
// calls hung on a Redis that never answers add 50 goroutines (the callers),
// not 100.
func TestDeadlineCallsStartNoGoroutine(t *testing.T) {
	const calls = 50
	s := newStore(t, newClient(t, silentServer(t), true), redisstore.WithTimeout(2*time.Second))
	base := runtime.NumGoroutine()
	var wg sync.WaitGroup
	start := time.Now()
	for range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, _ = s.Get(ctx, "k")
		})
	}
	time.Sleep(300 * time.Millisecond)
	during := runtime.NumGoroutine() - base
	wg.Wait()
	took := time.Since(start)
	if during > calls+calls/2 {
		t.Errorf("%d goroutines while %d calls hung, want about %d (one per caller)", during, calls, calls)
	}
	// One bound: the ctx's 1s deadline, not that plus the store's 2s.
	if took > 1900*time.Millisecond {
		t.Errorf("calls with a 1s deadline took %v", took)
	}
}
