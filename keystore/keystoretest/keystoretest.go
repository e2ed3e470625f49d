package keystoretest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// Timing used by the behaviours. shortTTL is long enough for a remote store
// to answer a Get before it passes, and short enough to keep the suite fast.
const (
	shortTTL = 100 * time.Millisecond
	longTTL  = 30 * time.Second // outlives any behaviour
	// slack absorbs clock granularity: Redis, for one, counts in ms.
	slack = 5 * time.Millisecond
	// prompt bounds how long a method may take once its ctx is done.
	prompt = time.Second
	// caseTimeout bounds each behaviour, so that a hanging store fails the
	// suite instead of hanging it.
	caseTimeout = 20 * time.Second
	poll        = 5 * time.Millisecond
)

// settle bounds how late past its ttl an expired value may still be returned,
// and how long a delivery may take. A variable so that the suite's own tests,
// which break stores on purpose, need not wait this long for each violation.
var settle = 2 * time.Second

// capability is an optional interface a behaviour needs.
type capability int

const (
	needStore capability = iota
	needLocker
	needNotifier
	needPinger
	needAdder
	needLockInspector
)

func (c capability) String() string {
	switch c {
	case needLocker:
		return "keystore.Locker"
	case needNotifier:
		return "keystore.Notifier"
	case needPinger:
		return "keystore.Pinger"
	case needAdder:
		return "keystore.Adder"
	case needLockInspector:
		return "keystore.LockInspector"
	}
	return "keystore.Store"
}

func (c capability) of(s keystore.Store) bool {
	switch c {
	case needLocker:
		_, ok := s.(keystore.Locker)
		return ok
	case needNotifier:
		_, ok := s.(keystore.Notifier)
		return ok
	case needPinger:
		_, ok := s.(keystore.Pinger)
		return ok
	case needAdder:
		_, ok := s.(keystore.Adder)
		return ok
	case needLockInspector:
		_, ok := s.(keystore.LockInspector)
		_, locker := s.(keystore.Locker)
		return ok && locker
	}
	return true
}

// reporter is the part of testing.TB the behaviours use. Errorf must be safe
// to call from several goroutines; Fatalf is called only from the behaviour's
// own goroutine.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// behaviour is one entry of the suite.
type behaviour struct {
	name  string
	needs capability
	run   func(c *check)
}

// check is what a behaviour works with.
type check struct {
	reporter
	ctx  context.Context
	s    keystore.Store
	base string // unique key prefix for this behaviour
}

// key returns a key of this behaviour's own, ending in name.
func (c *check) key(name string) string { return c.base + name }

func (c *check) locker() keystore.Locker     { return c.s.(keystore.Locker) }
func (c *check) notifier() keystore.Notifier { return c.s.(keystore.Notifier) }

// Run runs the conformance suite against stores made by newStore, each
// behaviour as a subtest of t with a store of its own; a behaviour that needs
// an optional capability the store lacks is skipped. newStore may register
// cleanups on the subtest it is given. Run does not call t.Parallel.
func Run(t *testing.T, newStore func(t *testing.T) keystore.Store) {
	t.Helper()
	suffix := randomSuffix()
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			if !b.needs.of(s) {
				t.Skipf("%T does not implement %v", s, b.needs)
			}
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			b.run(&check{reporter: t, ctx: ctx, s: s, base: base(b.name, suffix)})
		})
	}
}

// TestStore runs the conformance suite against s, outside a Go test, and
// returns every violation joined into one error, or nil if s conforms.
// Behaviours that need an optional capability s lacks are left out.
func TestStore(s keystore.Store) error {
	if s == nil {
		return errors.New("keystoretest: nil store")
	}
	return errors.Join(runBehaviours(s, func(string) bool { return true })...)
}

// runBehaviours runs the behaviours whose names match against s, each in a
// goroutine of its own (so that Fatalf can end it), one after the other.
func runBehaviours(s keystore.Store, match func(name string) bool) []error {
	suffix := randomSuffix()
	var errs []error
	for _, b := range behaviours {
		if !match(b.name) || !b.needs.of(s) {
			continue
		}
		col := &collector{name: b.name}
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			b.run(&check{reporter: col, ctx: ctx, s: s, base: base(b.name, suffix)})
		}()
		<-done
		errs = append(errs, col.errs...)
	}
	return errs
}

// collector is the reporter of TestStore.
type collector struct {
	name string
	mu   sync.Mutex
	errs []error
}

func (c *collector) Helper() {}

func (c *collector) Errorf(format string, args ...any) {
	err := fmt.Errorf("%s: %s", c.name, fmt.Sprintf(format, args...))
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

func (c *collector) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	runtime.Goexit()
}

func base(name, suffix string) string {
	return "keystoretest/" + name + "/" + suffix + "/"
}

func randomSuffix() string {
	return rand.Text()[:12]
}

// behaviours is the suite. Each entry is independent of the others.
var behaviours = []behaviour{
	{name: "GetMissing", run: getMissing},
	{name: "RoundTrip", run: roundTrip},
	{name: "Overwrite", run: overwrite},
	{name: "EmptyValue", run: emptyValue},
	{name: "GetReturnsCopy", run: getReturnsCopy},
	{name: "PutCopiesInput", run: putCopiesInput},
	{name: "Delete", run: deleteKey},
	{name: "DeleteMissing", run: deleteMissing},
	{name: "TTLExpires", run: ttlExpires},
	{name: "TTLNotPositiveNeverExpires", run: ttlNotPositive},
	{name: "CanceledContext", run: canceledContext},
	{name: "ExpiredContext", run: expiredContext},
	{name: "Concurrent", run: concurrent},
	{name: "LargeValue", run: largeValue},
	{name: "BinaryValue", run: binaryValue},
	{name: "OddKeys", run: keysWithOddCharacters},
	{name: "LockExclusive", needs: needLocker, run: lockExclusive},
	{name: "LockExpires", needs: needLocker, run: lockExpires},
	{name: "LockStaleUnlock", needs: needLocker, run: lockStaleUnlock},
	{name: "LockSeparateFromDocuments", needs: needLocker, run: lockSeparate},
	{name: "LockTTLNotPositive", needs: needLocker, run: lockTTLNotPositive},
	{name: "LockCanceledContext", needs: needLocker, run: lockCanceledContext},
	{name: "LockTTL", needs: needLockInspector, run: lockTTL},
	{name: "NotifyDelivers", needs: needNotifier, run: notifyDelivers},
	{name: "NotifyStopsWithContext", needs: needNotifier, run: notifyStops},
	{name: "NotifyCanceledContext", needs: needNotifier, run: notifyCanceledContext},
	{name: "Ping", needs: needPinger, run: ping},
	{name: "AddOnce", needs: needAdder, run: addOnce},
	{name: "AddConcurrent", needs: needAdder, run: addConcurrent},
	{name: "AddExpires", needs: needAdder, run: addExpires},
	{name: "AddSeparateFromDocuments", needs: needAdder, run: addSeparate},
	{name: "AddTTLNotPositive", needs: needAdder, run: addTTLNotPositive},
	{name: "AddCanceledContext", needs: needAdder, run: addCanceledContext},
}

// --- helpers ---

func (c *check) put(key string, value []byte, ttl time.Duration) {
	c.Helper()
	if err := c.s.Put(c.ctx, key, value, ttl); err != nil {
		c.Fatalf("Put(%q, %d bytes, %v) = %v, want nil", key, len(value), ttl, err)
	}
}

// want fails unless Get(key) returns exactly value.
func (c *check) want(key string, value []byte) {
	c.Helper()
	got, err := c.s.Get(c.ctx, key)
	if err != nil {
		c.Errorf("Get(%q) error = %v, want %s", key, err, describe(value))
		return
	}
	if string(got) != string(value) {
		c.Errorf("Get(%q) = %s, want %s", key, describe(got), describe(value))
	}
}

// wantMissing fails unless Get(key) returns an error matching ErrNotFound.
func (c *check) wantMissing(key string) {
	c.Helper()
	got, err := c.s.Get(c.ctx, key)
	if !errors.Is(err, keystore.ErrNotFound) {
		c.Errorf("Get(%q) = %s, %v; want an error matching keystore.ErrNotFound", key, describe(got), err)
	}
}

func (c *check) del(key string) {
	c.Helper()
	if err := c.s.Delete(c.ctx, key); err != nil {
		c.Errorf("Delete(%q) = %v, want nil", key, err)
	}
}

// describe prints a value briefly: short values in full, long ones by length.
func describe(b []byte) string {
	if b == nil {
		return "nil"
	}
	if len(b) <= 64 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes %q…", len(b), b[:32])
}

// pattern returns n bytes derived from seed, with every byte value present.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed ^ byte(i>>8)
	}
	return b
}

// waitExpired polls key until Get reports it missing. put is the time just
// before the Put that gave it ttl. It fails if the value disappears before
// ttl has passed or is still there well after.
func (c *check) waitExpired(key string, value []byte, put time.Time, ttl time.Duration) {
	c.Helper()
	deadline := put.Add(ttl + settle)
	for {
		start := time.Now()
		got, err := c.s.Get(c.ctx, key)
		switch {
		case errors.Is(err, keystore.ErrNotFound):
			if early := put.Add(ttl - slack).Sub(start); early > 0 {
				c.Errorf("Get(%q) reported the value missing %v before its ttl of %v passed", key, early, ttl)
			}
			return
		case err != nil:
			c.Fatalf("Get(%q) error = %v while waiting for expiry", key, err)
		case string(got) != string(value):
			c.Fatalf("Get(%q) = %s while waiting for expiry, want %s", key, describe(got), describe(value))
		}
		if start.After(deadline) {
			c.Fatalf("Get(%q) still returns the value %v after its ttl of %v", key, time.Since(put)-ttl, ttl)
		}
		time.Sleep(poll)
	}
}

// --- Store behaviours ---

func getMissing(c *check) {
	c.wantMissing(c.key("absent"))
}

func roundTrip(c *check) {
	k := c.key("k")
	v := []byte(`{"keys":[{"kty":"RSA","kid":"one"}]}`)
	c.put(k, v, longTTL)
	c.want(k, v)
	c.del(k)
}

func overwrite(c *check) {
	k := c.key("k")
	c.put(k, []byte("first value, the longer one"), longTTL)
	c.put(k, []byte("second"), longTTL)
	c.want(k, []byte("second"))
	c.del(k)
}

func emptyValue(c *check) {
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{name: "empty", value: []byte{}},
		{name: "nil", value: nil},
	} {
		k := c.key(tc.name)
		c.put(k, tc.value, longTTL)
		got, err := c.s.Get(c.ctx, k)
		if err != nil || len(got) != 0 {
			c.Errorf("after Put(%q, %s): Get = %s, %v; want an empty value and nil", k, describe(tc.value), describe(got), err)
		}
		c.del(k)
	}
}

func getReturnsCopy(c *check) {
	k := c.key("k")
	v := []byte("original")
	c.put(k, v, longTTL)
	got, err := c.s.Get(c.ctx, k)
	if err != nil {
		c.Fatalf("Get(%q) = %v", k, err)
	}
	for i := range got {
		got[i] = 'X'
	}
	c.want(k, []byte("original"))
	c.del(k)
}

func putCopiesInput(c *check) {
	k := c.key("k")
	v := []byte("original")
	c.put(k, v, longTTL)
	for i := range v {
		v[i] = 'X'
	}
	c.want(k, []byte("original"))
	c.del(k)
}

func deleteKey(c *check) {
	k := c.key("k")
	c.put(k, []byte("v"), longTTL)
	c.del(k)
	c.wantMissing(k)
}

func deleteMissing(c *check) {
	c.del(c.key("absent"))
}

func ttlExpires(c *check) {
	k := c.key("k")
	v := []byte("short-lived")
	start := time.Now()
	c.put(k, v, shortTTL)
	c.waitExpired(k, v, start, shortTTL)
	c.del(k)
}

// ttlNotPositive checks that ttl <= 0 means no expiry, including when it
// replaces a value that had a ttl, and that a ttl replaces no expiry.
func ttlNotPositive(c *check) {
	zero, negative, cleared, gained := c.key("zero"), c.key("negative"), c.key("cleared"), c.key("gained")
	start := time.Now()
	c.put(zero, []byte("zero"), 0)
	c.put(negative, []byte("negative"), -time.Second)
	c.put(cleared, []byte("old"), shortTTL)
	c.put(cleared, []byte("cleared"), 0)
	c.put(gained, []byte("gained"), 0)
	c.put(gained, []byte("gained"), shortTTL) // also the witness that shortTTL passed
	c.waitExpired(gained, []byte("gained"), start, shortTTL)
	c.want(zero, []byte("zero"))
	c.want(negative, []byte("negative"))
	c.want(cleared, []byte("cleared"))
	for _, k := range []string{zero, negative, cleared, gained} {
		c.del(k)
	}
}

// doneCtx returns a context that is already done with cause: canceled, or
// past its deadline.
func doneCtx(deadline bool) context.Context {
	if deadline {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		cancel()
		return ctx
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// wantCtxErr checks the result of a call made with a done ctx.
func (c *check) wantCtxErr(call string, want error, err error, took time.Duration) {
	c.Helper()
	switch {
	case err == nil:
		c.Errorf("%s with a done ctx = nil, want an error matching %v", call, want)
	case errors.Is(err, keystore.ErrNotFound):
		c.Errorf("%s with a done ctx = %v, which matches keystore.ErrNotFound; want an error matching %v", call, err, want)
	case !errors.Is(err, want):
		c.Errorf("%s with a done ctx = %v, want an error matching %v", call, err, want)
	}
	if took > prompt {
		c.Errorf("%s with a done ctx took %v, want at most %v", call, took, prompt)
	}
}

func canceledContext(c *check) { doneContext(c, false) }
func expiredContext(c *check)  { doneContext(c, true) }

func doneContext(c *check, deadline bool) {
	want := context.Canceled
	if deadline {
		want = context.DeadlineExceeded
	}
	ctx := doneCtx(deadline)
	present, absent := c.key("present"), c.key("absent")
	c.put(present, []byte("kept"), longTTL)

	start := time.Now()
	_, err := c.s.Get(ctx, present)
	c.wantCtxErr("Get", want, err, time.Since(start))

	start = time.Now()
	err = c.s.Put(ctx, absent, []byte("v"), longTTL)
	c.wantCtxErr("Put", want, err, time.Since(start))
	c.wantMissing(absent) // a call with a done ctx does nothing

	start = time.Now()
	err = c.s.Delete(ctx, present)
	c.wantCtxErr("Delete", want, err, time.Since(start))
	c.want(present, []byte("kept"))

	c.del(present)
	c.del(absent)
}

func concurrent(c *check) {
	const (
		workers = 8
		ops     = 40
		size    = 256
	)
	keys := []string{c.key("a"), c.key("b"), c.key("c")}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range ops {
				k := keys[(w+i)%len(keys)]
				switch i % 4 {
				case 0, 1:
					// Every byte of a value is the same, so a torn or mixed
					// value shows.
					v := make([]byte, size)
					for j := range v {
						v[j] = byte(w*ops + i)
					}
					if err := c.s.Put(c.ctx, k, v, longTTL); err != nil {
						c.Errorf("concurrent Put(%q) = %v", k, err)
					}
				case 2:
					got, err := c.s.Get(c.ctx, k)
					if errors.Is(err, keystore.ErrNotFound) {
						continue
					}
					if err != nil {
						c.Errorf("concurrent Get(%q) = %v", k, err)
						continue
					}
					if len(got) != size {
						c.Errorf("concurrent Get(%q) returned %d bytes, want %d", k, len(got), size)
						continue
					}
					for _, b := range got {
						if b != got[0] {
							c.Errorf("concurrent Get(%q) returned a value mixed from two writes", k)
							break
						}
					}
					got[0]++ // the caller owns the slice
				case 3:
					if i%8 == 3 {
						if err := c.s.Delete(c.ctx, k); err != nil {
							c.Errorf("concurrent Delete(%q) = %v", k, err)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	for _, k := range keys {
		c.del(k)
	}
}

func largeValue(c *check) {
	k := c.key("k")
	v := pattern(1<<20, 7)
	c.put(k, v, longTTL)
	c.want(k, v)
	c.del(k)
}

func binaryValue(c *check) {
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{name: "nul", value: []byte("\x00")},
		{name: "nuls", value: []byte("a\x00b\x00\x00c\x00")},
		{name: "all-bytes", value: pattern(256, 0)},
		{name: "invalid-utf8", value: []byte{0xff, 0xfe, 0xc3, 0x28, 0x80}},
		{name: "resp-like", value: []byte("$-1\r\n*1\r\n+OK\r\n")},
	} {
		k := c.key(tc.name)
		c.put(k, tc.value, longTTL)
		c.want(k, tc.value)
		c.del(k)
	}
}

// oddKeySuffixes are key suffixes with characters a store might mishandle;
// each is written with a different value, so keys that collide show.
var oddKeySuffixes = []string{
	"colon:sep:arated",
	"slash/sep/arated",
	"https://issuer.example.com/tenant/v2.0",
	"ключ",
	"鍵🔑",
	"with space",
	"tab\tnewline\ncr\r",
	"{hash}tag",
	"*?[glob]\\",
	"nul\x00byte",
	"%2F%00",
	"a",
	"a:",
	"A",
	string(pattern(512, 'k')),
}

func keysWithOddCharacters(c *check) {
	for i, s := range oddKeySuffixes {
		c.put(c.key(s), []byte(fmt.Sprintf("value %d", i)), longTTL)
	}
	for i, s := range oddKeySuffixes {
		c.want(c.key(s), []byte(fmt.Sprintf("value %d", i)))
	}
	for _, s := range oddKeySuffixes {
		c.del(c.key(s))
	}
	for _, s := range oddKeySuffixes {
		c.wantMissing(c.key(s))
	}
}

// --- Locker behaviours ---

// lock takes the lock named key or fails the behaviour.
func (c *check) lock(key string, ttl time.Duration) func(context.Context) error {
	c.Helper()
	unlock, ok, err := c.locker().TryLock(c.ctx, key, ttl)
	if err != nil || !ok {
		c.Fatalf("TryLock(%q, %v) = %v, %v; want true, nil", key, ttl, ok, err)
	}
	if unlock == nil {
		c.Fatalf("TryLock(%q, %v) returned ok but a nil unlock", key, ttl)
	}
	return unlock
}

// wantHeld fails unless TryLock(key) reports the lock held by someone else.
func (c *check) wantHeld(key string) {
	c.Helper()
	unlock, ok, err := c.locker().TryLock(c.ctx, key, longTTL)
	if err != nil || ok {
		c.Errorf("TryLock(%q) on a held lock = %v, %v; want false, nil", key, ok, err)
	}
	if ok && unlock != nil {
		_ = unlock(c.ctx)
	}
	if !ok && unlock != nil {
		c.Errorf("TryLock(%q) returned a non-nil unlock with ok false", key)
	}
}

func (c *check) unlock(key string, unlock func(context.Context) error) {
	c.Helper()
	if err := unlock(c.ctx); err != nil {
		c.Errorf("unlock of %q = %v, want nil", key, err)
	}
}

func lockExclusive(c *check) {
	k := c.key("lock")
	unlock := c.lock(k, longTTL)
	c.wantHeld(k)
	c.unlock(k, unlock)
	again := c.lock(k, longTTL) // unlock freed it
	c.unlock(k, again)
	c.unlock(k, unlock) // unlocking twice is harmless
	c.unlock(k, again)
}

func lockExpires(c *check) {
	k := c.key("lock")
	start := time.Now()
	c.lock(k, shortTTL) // never unlocked: it must expire by itself
	deadline := start.Add(shortTTL + settle)
	for {
		tried := time.Now()
		unlock, ok, err := c.locker().TryLock(c.ctx, k, longTTL)
		if err != nil {
			c.Fatalf("TryLock(%q) = %v while waiting for expiry", k, err)
		}
		if ok {
			if early := start.Add(shortTTL - slack).Sub(tried); early > 0 {
				c.Errorf("TryLock(%q) took the lock %v before its ttl of %v passed", k, early, shortTTL)
			}
			c.unlock(k, unlock)
			return
		}
		if tried.After(deadline) {
			c.Fatalf("lock %q still held %v after its ttl of %v", k, time.Since(start)-shortTTL, shortTTL)
		}
		time.Sleep(poll)
	}
}

func lockStaleUnlock(c *check) {
	k := c.key("lock")
	start := time.Now()
	stale := c.lock(k, shortTTL)
	// Wait for the lock to expire and take it again.
	var current func(context.Context) error
	for current == nil {
		unlock, ok, err := c.locker().TryLock(c.ctx, k, longTTL)
		if err != nil {
			c.Fatalf("TryLock(%q) = %v while waiting for expiry", k, err)
		}
		if ok {
			current = unlock
			break
		}
		if time.Since(start) > shortTTL+settle {
			c.Fatalf("lock %q not expired %v after its ttl of %v", k, time.Since(start)-shortTTL, shortTTL)
		}
		time.Sleep(poll)
	}
	if err := stale(c.ctx); err != nil {
		c.Errorf("unlock of an expired lock = %v, want nil", err)
	}
	c.wantHeld(k) // the stale unlock must not have freed the current holder's lock
	c.unlock(k, current)
	c.unlock(k, c.lock(k, longTTL))
}

func lockSeparate(c *check) {
	k, other := c.key("k"), c.key("other")
	c.put(k, []byte("document"), longTTL)
	unlock := c.lock(k, longTTL)
	c.want(k, []byte("document"))
	c.put(k, []byte("changed"), longTTL)
	c.want(k, []byte("changed"))
	c.wantHeld(k)
	c.unlock(other, c.lock(other, longTTL)) // other names are independent
	c.unlock(k, unlock)
	c.want(k, []byte("changed"))
	c.del(k)
}

func lockTTLNotPositive(c *check) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		k := c.key(fmt.Sprint(ttl))
		unlock, ok, err := c.locker().TryLock(c.ctx, k, ttl)
		if err == nil || ok || unlock != nil {
			c.Errorf("TryLock(%q, %v) = unlock %t, %v, %v; want nil, false and an error", k, ttl, unlock != nil, ok, err)
		}
		if ok && unlock != nil {
			_ = unlock(c.ctx)
		}
	}
}

func lockCanceledContext(c *check) {
	k := c.key("lock")
	start := time.Now()
	unlock, ok, err := c.locker().TryLock(doneCtx(false), k, longTTL)
	c.wantCtxErr("TryLock", context.Canceled, err, time.Since(start))
	if ok || unlock != nil {
		c.Errorf("TryLock with a done ctx returned ok %v, unlock %t; want false, nil", ok, unlock != nil)
		if unlock != nil {
			_ = unlock(c.ctx)
		}
	}
	// The lock was not taken.
	c.unlock(k, c.lock(k, longTTL))

	unlock = c.lock(k, longTTL)
	start = time.Now()
	err = unlock(doneCtx(false))
	c.wantCtxErr("unlock", context.Canceled, err, time.Since(start))
	c.unlock(k, unlock)
}

func lockTTL(c *check) {
	k := c.key("lock")
	in := c.s.(keystore.LockInspector)
	if d, err := in.LockTTL(c.ctx, k); err != nil || d != 0 {
		c.Errorf("LockTTL(%q) of a free lock = %v, %v; want 0, nil", k, d, err)
	}
	unlock := c.lock(k, longTTL)
	d, err := in.LockTTL(c.ctx, k)
	if err != nil || d <= longTTL-settle || d > longTTL {
		c.Errorf("LockTTL(%q) of a lock taken for %v = %v, %v; want within (%v, %v]", k, longTTL, d, err, longTTL-settle, longTTL)
	}
	if d, err := in.LockTTL(c.ctx, c.key("other")); err != nil || d != 0 {
		c.Errorf("LockTTL of another name = %v, %v; want 0, nil", d, err)
	}
	c.put(k, []byte("document"), longTTL) // documents are another namespace
	c.unlock(k, unlock)
	if d, err := in.LockTTL(c.ctx, k); err != nil || d != 0 {
		c.Errorf("LockTTL(%q) after unlock = %v, %v; want 0, nil", k, d, err)
	}
	c.del(k)
	start := time.Now()
	_, err = in.LockTTL(doneCtx(false), k)
	c.wantCtxErr("LockTTL", context.Canceled, err, time.Since(start))
}

// --- Notifier behaviours ---

// subscribe subscribes with a fn that forwards keys to the returned channel,
// dropping them if it is full.
func (c *check) subscribe(ctx context.Context) <-chan string {
	c.Helper()
	ch := make(chan string, 128)
	err := c.notifier().Subscribe(ctx, func(key string) {
		select {
		case ch <- key:
		default:
		}
	})
	if err != nil {
		c.Fatalf("Subscribe = %v, want nil", err)
	}
	return ch
}

// receive waits for key on ch, skipping others (a shared store may carry
// announcements of other runs).
func (c *check) receive(ch <-chan string, key, who string) {
	c.Helper()
	timer := time.NewTimer(settle)
	defer timer.Stop()
	for {
		select {
		case got := <-ch:
			if got == key {
				return
			}
		case <-timer.C:
			c.Fatalf("%s did not receive Publish(%q) within %v", who, key, settle)
		}
	}
}

func notifyDelivers(c *check) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	first, second := c.subscribe(ctx), c.subscribe(ctx)
	for _, s := range []string{"issuer", "https://issuer.example.com/tenant", "鍵🔑:{x}"} {
		k := c.key(s)
		if err := c.notifier().Publish(c.ctx, k); err != nil {
			c.Fatalf("Publish(%q) = %v, want nil", k, err)
		}
		c.receive(first, k, "first subscriber")
		c.receive(second, k, "second subscriber")
	}
}

func notifyStops(c *check) {
	ctx, cancel := context.WithCancel(c.ctx)
	ch := c.subscribe(ctx)
	k := c.key("before")
	if err := c.notifier().Publish(c.ctx, k); err != nil {
		c.Fatalf("Publish(%q) = %v, want nil", k, err)
	}
	c.receive(ch, k, "subscriber")
	cancel()
	after := c.key("after")
	if err := c.notifier().Publish(c.ctx, after); err != nil {
		c.Fatalf("Publish(%q) = %v, want nil", after, err)
	}
	timer := time.NewTimer(200 * time.Millisecond)
	defer timer.Stop()
	for {
		select {
		case got := <-ch:
			if got == after {
				c.Errorf("subscriber received Publish(%q) after its ctx was canceled", after)
				return
			}
		case <-timer.C:
			return
		}
	}
}

func notifyCanceledContext(c *check) {
	start := time.Now()
	err := c.notifier().Publish(doneCtx(false), c.key("k"))
	c.wantCtxErr("Publish", context.Canceled, err, time.Since(start))

	start = time.Now()
	err = c.notifier().Subscribe(doneCtx(false), func(string) {})
	c.wantCtxErr("Subscribe", context.Canceled, err, time.Since(start))
}

// --- Pinger behaviours ---

func ping(c *check) {
	p := c.s.(keystore.Pinger)
	if err := p.Ping(c.ctx); err != nil {
		c.Errorf("Ping = %v, want nil", err)
	}
	start := time.Now()
	err := p.Ping(doneCtx(false))
	c.wantCtxErr("Ping", context.Canceled, err, time.Since(start))
}
