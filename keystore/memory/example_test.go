package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

func ExampleNew() {
	ctx := context.Background()
	s := memory.New()

	if err := s.Put(ctx, "https://issuer.example.com/", []byte(`{"keys":[]}`), time.Hour); err != nil {
		panic(err)
	}
	doc, err := s.Get(ctx, "https://issuer.example.com/")
	fmt.Printf("%s %v\n", doc, err)

	_, err = s.Get(ctx, "https://other.example.com/")
	fmt.Println(errors.Is(err, keystore.ErrNotFound))
	// Output:
	// {"keys":[]} <nil>
	// true
}

func ExampleStore_TryLock() {
	ctx := context.Background()
	s := memory.New()

	unlock, ok, err := s.TryLock(ctx, "refresh:https://issuer.example.com/", 30*time.Second)
	fmt.Println(ok, err)

	_, ok, err = s.TryLock(ctx, "refresh:https://issuer.example.com/", 30*time.Second)
	fmt.Println(ok, err)

	fmt.Println(unlock(ctx))
	// Output:
	// true <nil>
	// false <nil>
	// <nil>
}

func ExampleWithClock() {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memory.New(memory.WithClock(func() time.Time { return now }))

	_ = s.Put(ctx, "k", []byte("v"), time.Minute)
	now = now.Add(time.Minute)
	_, err := s.Get(ctx, "k")
	fmt.Println(err)
	// Output:
	// keystore: not found
}
