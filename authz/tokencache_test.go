package authz_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func TestTokenCache(t *testing.T) {
	iss := authztest.NewT(t)
	clock := newClock()
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithClock(clock.Now), authz.WithTokenCache(authz.TokenCacheOptions{MaxEntries: 64}))
	claims := iss.Claims("u", "api")
	claims["exp"] = clock.Now().Add(time.Minute).Unix()
	tok := mint(t, iss, claims)

	c1, err := v.Validate(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := v.Validate(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 {
		t.Fatal("second validation did not come from the cache")
	}
	if hits, misses := v.TokenCacheStats(); hits != 1 || misses != 1 {
		t.Fatalf("stats = %d hits, %d misses; want 1, 1", hits, misses)
	}

	// exp is checked again on every hit.
	clock.Add(2 * time.Minute)
	if _, err := v.Validate(bg, tok); !errors.Is(err, authz.ErrExpired) {
		t.Fatalf("expired cached token: err = %v", err)
	}

	// A different token (one changed byte) is not a hit.
	clock.Add(-2 * time.Minute)
	if _, err := v.Validate(bg, tok[:len(tok)-2]+"AA"); err == nil {
		t.Fatal("tampered token accepted")
	}
}

func TestTokenCacheKeyRemoved(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithTokenCache(authz.TokenCacheOptions{}))
	oldKid := iss.KeyIDs()[0]
	tok := mint(t, iss, iss.Claims("u", "api"))
	if _, err := v.Validate(bg, tok); err != nil {
		t.Fatal(err)
	}
	// Rotate and retire the old key; a token with the new kid makes the
	// validator refetch, and the old key leaves the set.
	if _, err := iss.Rotate("RS256"); err != nil {
		t.Fatal(err)
	}
	iss.Retire(oldKid)
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(bg, tok); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("token of a removed key: err = %v, want ErrUnknownKey", err)
	}
}

func TestTokenCacheIssuerRemoved(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithTokenCache(authz.TokenCacheOptions{}))
	tok := mint(t, iss, iss.Claims("u", "api"))
	if _, err := v.Validate(bg, tok); err != nil {
		t.Fatal(err)
	}
	v.RemoveIssuer(iss.URL())
	if _, err := v.Validate(bg, tok); !errors.Is(err, authz.ErrUnknownIssuer) {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenCacheBoundsAndConcurrency(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithTokenCache(authz.TokenCacheOptions{MaxEntries: 32, MaxTokenSize: 2048}))
	var toks []string
	for i := 0; i < 100; i++ {
		c := iss.Claims(fmt.Sprintf("u%d", i), "api")
		toks = append(toks, mint(t, iss, c))
	}
	big := iss.Claims("big", "api")
	big["pad"] = strings.Repeat("x", 3000)
	bigTok := mint(t, iss, big)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				tok := toks[(i*7+g)%len(toks)]
				if i%50 == 0 {
					tok = bigTok
				}
				if _, err := v.Validate(bg, tok); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	hits, misses := v.TokenCacheStats()
	if hits == 0 || misses == 0 {
		t.Fatalf("hits %d misses %d: expected both with 100 tokens over 32 entries", hits, misses)
	}
	// The oversized token is never cached: validating it twice misses twice.
	_, m0 := v.TokenCacheStats()
	_, _ = v.Validate(bg, bigTok)
	_, _ = v.Validate(bg, bigTok)
	if h1, m1 := v.TokenCacheStats(); m1 != m0 && h1 != hits {
		t.Fatalf("oversized token touched the cache")
	}
}

// TestTokenCacheStaleKeys: once the issuer's keys are past the staleness
// limit, a cached token gets ErrKeysUnavailable like any other.
func TestTokenCacheStaleKeys(t *testing.T) {
	iss := authztest.NewT(t)
	clock := newClock()
	opts := fastKeys
	opts.MaxStale = time.Minute
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithClock(clock.Now), authz.WithKeyOptions(opts), authz.WithTokenCache(authz.TokenCacheOptions{}))
	c := iss.Claims("u", "api")
	c["exp"] = clock.Now().Add(24 * time.Hour).Unix()
	tok := mint(t, iss, c)
	if _, err := v.Validate(bg, tok); err != nil {
		t.Fatal(err)
	}
	iss.SetFailure(authztest.Fail5xx)
	clock.Add(10 * time.Minute) // max-age 300 s + MaxStale 1 min < 10 min
	if _, err := v.Validate(bg, tok); !errors.Is(err, authz.ErrKeysUnavailable) {
		t.Fatalf("cached token with stale keys: err = %v, want ErrKeysUnavailable", err)
	}
}
