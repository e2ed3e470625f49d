package authz

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
)

// TokenCacheOptions bound the verified-token cache (WithTokenCache). Zero
// fields take the defaults in brackets.
type TokenCacheOptions struct {
	// MaxEntries bounds the number of cached tokens [10000].
	MaxEntries int
	// MaxBytes bounds the total size of cached tokens and their payloads
	// [16 MiB].
	MaxBytes int
	// MaxTokenSize: longer tokens are never cached [4 KiB].
	MaxTokenSize int
}

// WithTokenCache turns on the verified-token cache: a token that was
// verified before skips parsing and signature work and returns the same
// *Claims. On every hit exp and nbf are checked again against the clock,
// the issuer must still be configured, and the key that verified the token
// must still be in the issuer's key set (a key removed by the IdP takes its
// tokens out of the cache). Policies still run on every request. The cache
// is bounded by entries and bytes, evicts at random when full, and is safe
// for concurrent use.
func WithTokenCache(o TokenCacheOptions) Option {
	return func(v *Validator) {
		if o.MaxEntries < 0 || o.MaxBytes < 0 || o.MaxTokenSize < 0 {
			v.optionError(fmt.Errorf("WithTokenCache: negative bound in %+v", o))
			return
		}
		if o.MaxEntries <= 0 {
			o.MaxEntries = 10000
		}
		if o.MaxBytes <= 0 {
			o.MaxBytes = 16 << 20
		}
		if o.MaxTokenSize <= 0 {
			o.MaxTokenSize = 4 << 10
		}
		v.cache = newTokenCache(o)
	}
}

const cacheShards = 16

type tokenCache struct {
	opts     TokenCacheOptions
	maxStale time.Duration // KeyOptions.MaxStale
	seed     maphash.Seed
	shards   [cacheShards]cacheShard
	misses   atomic.Uint64
	// hits are counted in stripes chosen at random per hit, each on its
	// own cache line: with one counter, every core serving the same hot
	// token wrote the same line, and parallel hits cost twice serial ones.
	hits [hitStripes]paddedCounter
}

const hitStripes = 16

type paddedCounter struct {
	n atomic.Uint64
	_ [56]byte
}

// cacheShard reads through a sync.Map, lock-free for the read-mostly load
// a token cache sees; mu serialises writers and the size accounting.
type cacheShard struct {
	m     sync.Map // string → *cacheEntry
	mu    sync.Mutex
	n     int
	bytes int
}

type cacheEntry struct {
	claims *Claims
	st     *issuerState
	ks     atomic.Pointer[keySet] // the key set the key was last seen in
	key    *jws.Key
	nbf    time.Time // zero when absent
	leeway time.Duration
	size   int
}

func newTokenCache(o TokenCacheOptions) *tokenCache {
	return &tokenCache{opts: o, seed: maphash.MakeSeed()}
}

// The shard is picked from the token's last shardKeyLen bytes — the end
// of its signature, as random as any part of it — so that a hit hashes the
// whole token once (inside the shard's sync.Map), not twice. Only tokens
// whose signature verified are ever stored, so no one can crowd a shard
// with entries without the issuer's key.
func (c *tokenCache) shard(token string) *cacheShard {
	return &c.shards[maphash.String(c.seed, token[len(token)-min(len(token), shardKeyLen):])%cacheShards]
}

const shardKeyLen = 16

// get returns the cached claims for token if they are still valid at now.
func (c *tokenCache) get(token string, now time.Time) *Claims {
	if len(token) > c.opts.MaxTokenSize {
		return nil
	}
	sh := c.shard(token)
	v, _ := sh.m.Load(token)
	e, _ := v.(*cacheEntry)
	if e == nil {
		c.misses.Add(1)
		return nil
	}
	ok := !e.st.removed() &&
		now.Before(e.claims.ExpiresAt.Add(e.leeway)) &&
		(e.nbf.IsZero() || !e.nbf.After(now.Add(e.leeway))) &&
		e.keyStillPublished(now, c.maxStale)
	if !ok {
		c.remove(token, e)
		c.misses.Add(1)
		return nil
	}
	c.hits[rand.Uint32()%hitStripes].n.Add(1)
	return e.claims
}

// keyStillPublished reports whether the entry's key is in the issuer's
// current key set, and that set is still usable (not past its staleness
// limit: then uncached tokens get ErrKeysUnavailable, and so must this one).
func (e *cacheEntry) keyStillPublished(now time.Time, maxStale time.Duration) bool {
	cur := e.st.keys()
	if cur == nil || !now.Before(cur.ExpiresAt.Add(maxStale)) {
		return false
	}
	if cur == e.ks.Load() {
		return true
	}
	k := cur.Keys.Find(e.key.Kid, jws.ParseAlg(e.claims.Algorithm))
	if k == nil || !samePublicKey(k.Pub, e.key.Pub) {
		return false
	}
	e.ks.Store(cur)
	return true
}

func samePublicKey(a, b any) bool {
	type equaler interface{ Equal(x any) bool }
	ea, ok := a.(equaler)
	return ok && ea.Equal(b)
}

func (c *tokenCache) put(token string, claims *Claims, st *issuerState, ks *keySet, key *jws.Key, leeway time.Duration) {
	size := len(token) + len(claims.raw) + 256
	if len(token) > c.opts.MaxTokenSize {
		return
	}
	e := &cacheEntry{claims: claims, st: st, key: key, nbf: claims.NotBefore, leeway: leeway, size: size}
	e.ks.Store(ks)
	sh := c.shard(token)
	maxEntries := max(c.opts.MaxEntries/cacheShards, 1)
	maxBytes := max(c.opts.MaxBytes/cacheShards, size)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v, ok := sh.m.LoadAndDelete(token); ok {
		sh.n--
		sh.bytes -= v.(*cacheEntry).size
	}
	if sh.n >= maxEntries || sh.bytes+size > maxBytes {
		// Random eviction: start the walk at a random point in the shard.
		skip := int(maphash.String(c.seed, token)>>32) % max(sh.n, 1)
		sh.m.Range(func(k, v any) bool {
			if skip > 0 {
				skip--
				return true
			}
			sh.m.Delete(k)
			sh.n--
			sh.bytes -= v.(*cacheEntry).size
			return sh.n >= maxEntries || sh.bytes+size > maxBytes
		})
		if sh.n >= maxEntries || sh.bytes+size > maxBytes { // the walk started late: finish from the top
			sh.m.Range(func(k, v any) bool {
				sh.m.Delete(k)
				sh.n--
				sh.bytes -= v.(*cacheEntry).size
				return sh.n >= maxEntries || sh.bytes+size > maxBytes
			})
		}
	}
	sh.m.Store(token, e)
	sh.n++
	sh.bytes += size
}

func (c *tokenCache) remove(token string, e *cacheEntry) {
	sh := c.shard(token)
	sh.mu.Lock()
	if sh.m.CompareAndDelete(token, e) {
		sh.n--
		sh.bytes -= e.size
	}
	sh.mu.Unlock()
}

// TokenCacheStats reports the verified-token cache's hits and misses since
// the Validator was created (zero without WithTokenCache).
func (v *Validator) TokenCacheStats() (hits, misses uint64) {
	if v.cache == nil {
		return 0, 0
	}
	for i := range v.cache.hits {
		hits += v.cache.hits[i].n.Load()
	}
	return hits, v.cache.misses.Load()
}
