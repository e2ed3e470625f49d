package authz

import (
	"fmt"
	"github.com/jwtguard/jwtguard/internal/jws"
	"testing"
	"time"
)

// TestTokenCacheAccounting: entry counts and byte totals stay within their
// bounds and match the map's contents through puts, overwrites, evictions
// and removals.
func TestTokenCacheAccounting(t *testing.T) {
	c := newTokenCache(TokenCacheOptions{MaxEntries: 64, MaxBytes: 64 * 1024, MaxTokenSize: 4096})
	st := newIssuerState(&issuerConfig{Issuer: Issuer{URL: "https://i.example"}})
	ks := &keySet{}
	k := &jws.Key{}
	for i := 0; i < 2000; i++ {
		tok := fmt.Sprintf("token-%d-%s", i%300, string(make([]byte, i%700)))
		c.put(tok, &Claims{ExpiresAt: time.Now().Add(time.Hour), raw: make([]byte, i%200)}, st, ks, k, 0)
		if i%7 == 0 {
			if v, ok := c.shard(tok).m.Load(tok); ok {
				c.remove(tok, v.(*cacheEntry))
			}
		}
	}
	total := 0
	for i := range c.shards {
		sh := &c.shards[i]
		n, bytes := 0, 0
		sh.m.Range(func(_, v any) bool {
			n++
			bytes += v.(*cacheEntry).size
			return true
		})
		if n != sh.n || bytes != sh.bytes {
			t.Fatalf("shard %d: counted %d entries / %d bytes, accounted %d / %d", i, n, bytes, sh.n, sh.bytes)
		}
		if sh.n > max(c.opts.MaxEntries/cacheShards, 1) || sh.bytes > c.opts.MaxBytes/cacheShards+4096+256 {
			t.Fatalf("shard %d over its bounds: %d entries, %d bytes", i, sh.n, sh.bytes)
		}
		total += n
	}
	if total == 0 {
		t.Fatal("cache is empty")
	}
}
