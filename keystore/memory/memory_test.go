package memory_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/keystoretest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

func TestConformance(t *testing.T) {
	keystoretest.Run(t, func(*testing.T) keystore.Store { return memory.New() })
}

func TestConformanceTestStore(t *testing.T) {
	if err := keystoretest.TestStore(memory.New()); err != nil {
		t.Fatalf("TestStore(memory.New()) = %v, want nil", err)
	}
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTTLWithClock(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		advance time.Duration
		wantErr error
	}{
		{name: "before expiry", ttl: time.Minute, advance: time.Minute - time.Nanosecond},
		{name: "at expiry", ttl: time.Minute, advance: time.Minute, wantErr: keystore.ErrNotFound},
		{name: "after expiry", ttl: time.Minute, advance: time.Hour, wantErr: keystore.ErrNotFound},
		{name: "zero ttl", ttl: 0, advance: 1000 * time.Hour},
		{name: "negative ttl", ttl: -time.Second, advance: 1000 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clock := newFakeClock()
			s := memory.New(memory.WithClock(clock.Now))
			if err := s.Put(ctx, "k", []byte("v"), tt.ttl); err != nil {
				t.Fatal(err)
			}
			clock.Advance(tt.advance)
			got, err := s.Get(ctx, "k")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Get = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if err == nil && string(got) != "v" {
				t.Fatalf("Get = %q, want %q", got, "v")
			}
		})
	}
}

func TestLockWithClock(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := memory.New(memory.WithClock(clock.Now))

	stale, ok, err := s.TryLock(ctx, "l", time.Minute)
	if err != nil || !ok {
		t.Fatalf("TryLock = %v, %v; want true, nil", ok, err)
	}
	clock.Advance(time.Minute - time.Nanosecond)
	if _, ok, err := s.TryLock(ctx, "l", time.Minute); ok || err != nil {
		t.Fatalf("TryLock before expiry = %v, %v; want false, nil", ok, err)
	}
	clock.Advance(time.Nanosecond)
	current, ok, err := s.TryLock(ctx, "l", time.Minute)
	if err != nil || !ok {
		t.Fatalf("TryLock at expiry = %v, %v; want true, nil", ok, err)
	}
	if err := stale(ctx); err != nil {
		t.Fatalf("stale unlock = %v", err)
	}
	if _, ok, _ := s.TryLock(ctx, "l", time.Minute); ok {
		t.Fatal("stale unlock freed the current holder's lock")
	}
	if err := current(ctx); err != nil {
		t.Fatalf("unlock = %v", err)
	}
	if _, ok, _ := s.TryLock(ctx, "l", time.Minute); !ok {
		t.Fatal("lock not free after unlock")
	}
}

// TestSubscribeNoLeak checks that a subscription's goroutine ends with its
// ctx.
func TestSubscribeNoLeak(t *testing.T) {
	s := memory.New()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	for range 50 {
		if err := s.Subscribe(ctx, func(string) {}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Publish(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after cancel, %d before subscribing", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSlowSubscriberDoesNotBlockPublish checks that Publish never waits for
// a subscriber.
func TestSlowSubscriberDoesNotBlockPublish(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	if err := s.Subscribe(ctx, func(string) { <-release }); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			_ = s.Publish(ctx, fmt.Sprint(i))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
}

func TestSubscribeNilFn(t *testing.T) {
	if err := memory.New().Subscribe(context.Background(), nil); err == nil {
		t.Fatal("Subscribe(ctx, nil) = nil, want an error")
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := memory.New()
			if err := s.Put(ctx, "https://issuer.example.com/", make([]byte, size), time.Hour); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := s.Get(ctx, "https://issuer.example.com/"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGetParallel(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	if err := s.Put(ctx, "k", make([]byte, 1<<10), 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(ctx, "k"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetMiss(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "absent"); !errors.Is(err, keystore.ErrNotFound) {
			b.Fatal(err)
		}
	}
}
