package keystoretest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// The keystore.Adder behaviours: set-if-absent with a ttl, atomic across
// concurrent callers, apart from documents and locks.

func (c *check) adder() keystore.Adder { return c.s.(keystore.Adder) }

func (c *check) add(key string, ttl time.Duration) bool {
	c.Helper()
	added, err := c.adder().Add(c.ctx, key, ttl)
	if err != nil {
		c.Fatalf("Add(%q, %v) = %v", key, ttl, err)
	}
	return added
}

func addOnce(c *check) {
	k := c.key("seen")
	if !c.add(k, longTTL) {
		c.Errorf("Add(%q) of a new key = false, want true", k)
	}
	if c.add(k, longTTL) {
		c.Errorf("Add(%q) of a held key = true, want false", k)
	}
	if !c.add(c.key("other"), longTTL) {
		c.Errorf("Add of another key = false, want true")
	}
}

func addConcurrent(c *check) {
	k := c.key("race")
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			added, err := c.adder().Add(c.ctx, k, longTTL)
			if err != nil {
				c.Errorf("Add(%q) = %v", k, err)
				return
			}
			if added {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		c.Errorf("%d of %d concurrent Adds of %q reported true, want exactly 1", won, n, k)
	}
}

func addExpires(c *check) {
	k := c.key("seen")
	start := time.Now()
	c.add(k, shortTTL)
	deadline := start.Add(shortTTL + settle)
	for {
		tried := time.Now()
		if c.add(k, longTTL) {
			if early := start.Add(shortTTL - slack).Sub(tried); early > 0 {
				c.Errorf("Add(%q) succeeded again %v before its ttl of %v passed", k, early, shortTTL)
			}
			return
		}
		if tried.After(deadline) {
			c.Fatalf("Add(%q) still held %v after its ttl of %v", k, time.Since(start)-shortTTL, shortTTL)
		}
		time.Sleep(poll)
	}
}

func addSeparate(c *check) {
	k := c.key("shared")
	c.put(k, []byte("doc"), longTTL)
	if !c.add(k, longTTL) {
		c.Errorf("Add(%q) = false for a key that only names a document", k)
	}
	c.want(k, []byte("doc"))
	c.del(k)
	if c.add(k, longTTL) {
		c.Errorf("Delete of the document %q removed the Add mark", k)
	}
}

func addTTLNotPositive(c *check) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		k := c.key(fmt.Sprint("ttl", ttl))
		added, err := c.adder().Add(c.ctx, k, ttl)
		if err == nil || added {
			c.Errorf("Add(%q, %v) = %v, %v; want false and an error", k, ttl, added, err)
		}
	}
}

func addCanceledContext(c *check) {
	k := c.key("seen")
	start := time.Now()
	added, err := c.adder().Add(doneCtx(false), k, longTTL)
	c.wantCtxErr("Add", context.Canceled, err, time.Since(start))
	if added {
		c.Errorf("Add with a done ctx = true, want false")
	}
	if !c.add(k, longTTL) {
		c.Errorf("Add with a done ctx marked %q", k)
	}
}
