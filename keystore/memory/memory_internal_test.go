package memory

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestSweepBounds checks that expired entries nobody reads again do not pile
// up: the maps stay within about twice the live entries.
func TestSweepBounds(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return now }))
	const live = 100
	for i := range live {
		if err := s.Put(ctx, fmt.Sprint("live", i), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100_000 {
		if err := s.Put(ctx, fmt.Sprint("doc", i), nil, time.Second); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.TryLock(ctx, fmt.Sprint("lock", i), time.Second); !ok || err != nil {
			t.Fatal(ok, err)
		}
		now = now.Add(time.Second) // everything written so far has expired
		s.mu.RLock()
		docs, locks := len(s.docs), len(s.locks)
		s.mu.RUnlock()
		if limit := 2 * max(live+1, minSweep); docs > limit || locks > limit {
			t.Fatalf("after %d writes: %d documents, %d locks; want at most %d", i+1, docs, locks, limit)
		}
	}
	for i := range live {
		if _, err := s.Get(ctx, fmt.Sprint("live", i)); err != nil {
			t.Fatalf("live entry %d lost: %v", i, err)
		}
	}
}

// TestGetPurgesExpired checks that a Get that finds an expired entry removes
// it.
func TestGetPurgesExpired(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return now }))
	if err := s.Put(ctx, "k", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if _, err := s.Get(ctx, "k"); err == nil {
		t.Fatal("Get of an expired entry = nil error")
	}
	if _, ok := s.docs["k"]; ok {
		t.Fatal("expired entry still stored after Get")
	}
}
