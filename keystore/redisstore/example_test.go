package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

func ExampleNew() {
	// miniredis stands in for a real Redis here.
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer m.Close()

	client := goredis.NewClient(&goredis.Options{
		Addr:                  m.Addr(),
		ContextTimeoutEnabled: true, // let go-redis apply the Store's deadlines
	})
	defer client.Close()

	s, err := redisstore.New(client, redisstore.WithPrefix("myapp:"), redisstore.WithTimeout(300*time.Millisecond))
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	if err := s.Put(ctx, "https://issuer.example.com/", []byte(`{"keys":[]}`), time.Hour); err != nil {
		panic(err)
	}
	doc, err := s.Get(ctx, "https://issuer.example.com/")
	fmt.Printf("%s %v\n", doc, err)

	_, err = s.Get(ctx, "https://other.example.com/")
	fmt.Println(errors.Is(err, keystore.ErrNotFound))

	fmt.Println(m.Keys())
	// Output:
	// {"keys":[]} <nil>
	// true
	// [myapp:doc:https://issuer.example.com/]
}

func ExampleStore_TryLock() {
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer m.Close()
	client := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	defer client.Close()
	// Two replicas sharing one Redis.
	a, _ := redisstore.New(client)
	b, _ := redisstore.New(client)

	ctx := context.Background()
	unlock, ok, err := a.TryLock(ctx, "https://issuer.example.com/", 30*time.Second)
	fmt.Println("a:", ok, err)

	_, ok, err = b.TryLock(ctx, "https://issuer.example.com/", 30*time.Second)
	fmt.Println("b:", ok, err)

	if err := unlock(ctx); err != nil {
		panic(err)
	}
	_, ok, err = b.TryLock(ctx, "https://issuer.example.com/", 30*time.Second)
	fmt.Println("b after a unlocked:", ok, err)
	// Output:
	// a: true <nil>
	// b: false <nil>
	// b after a unlocked: true <nil>
}

func ExampleStore_Subscribe() {
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer m.Close()
	client := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	defer client.Close()
	s, _ := redisstore.New(client)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the subscription

	changed := make(chan string, 1)
	if err := s.Subscribe(ctx, func(key string) { changed <- key }); err != nil {
		panic(err)
	}
	// Usually another replica, after it stored a new document.
	if err := s.Publish(ctx, "https://issuer.example.com/"); err != nil {
		panic(err)
	}
	fmt.Println("reload", <-changed)
	// Output:
	// reload https://issuer.example.com/
}
