package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// minSweep is the number of entries below which no sweep runs.
const minSweep = 256

// subscriberBuffer is the number of announcements queued for a subscriber
// whose fn is busy; further announcements to it are dropped.
const subscriberBuffer = 64

// Interface checks.
var (
	_ keystore.Store    = (*Store)(nil)
	_ keystore.Locker   = (*Store)(nil)
	_ keystore.Notifier = (*Store)(nil)
	_ keystore.Pinger   = (*Store)(nil)
	_ keystore.Shared   = (*Store)(nil)

	_ keystore.LockInspector = (*Store)(nil)
)

// Store is an in-process keystore.Store that also implements
// keystore.Locker, keystore.Notifier and keystore.Pinger. The zero value is
// not usable; create one with New. A Store is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu      sync.RWMutex
	docs    map[string]entry
	docSwp  int // sweep docs when len(docs) reaches this
	locks   map[string]lock
	lockSwp int                  // sweep locks when len(locks) reaches this
	seen    map[string]time.Time // Add's marks, until when
	seenSwp int
	token   uint64

	subMu sync.RWMutex
	subs  map[*subscriber]struct{}
}

type entry struct {
	value   []byte    // never changed once stored
	expires time.Time // zero: never
}

func (e entry) expired(now time.Time) bool {
	return !e.expires.IsZero() && !now.Before(e.expires)
}

type lock struct {
	token   uint64
	expires time.Time
}

type subscriber struct {
	ch chan string
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the Store read the time from now instead of time.Now, so
// that tests can move time forward without sleeping. A nil now means
// time.Now. now must be safe for concurrent use.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:     time.Now,
		docs:    make(map[string]entry),
		docSwp:  minSweep,
		locks:   make(map[string]lock),
		lockSwp: minSweep,
		subs:    make(map[*subscriber]struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Get returns a copy of the value stored under key, or an error matching
// keystore.ErrNotFound if there is none or it has expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, opError("get", key, err)
	}
	s.mu.RLock()
	e, ok := s.docs[key]
	s.mu.RUnlock()
	if !ok {
		return nil, keystore.ErrNotFound
	}
	if !e.expires.IsZero() {
		if now := s.now(); e.expired(now) {
			s.mu.Lock()
			// Delete only if no one stored a fresh value in the meantime.
			if cur, ok := s.docs[key]; ok && cur.expired(now) {
				delete(s.docs, key)
			}
			s.mu.Unlock()
			return nil, keystore.ErrNotFound
		}
	}
	// Stored values are never changed, so copying outside the lock is safe.
	out := make([]byte, len(e.value))
	copy(out, e.value)
	return out, nil
}

// Put stores a copy of value under key. A ttl of zero or less means the value
// does not expire.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return opError("put", key, err)
	}
	e := entry{value: make([]byte, len(value))}
	copy(e.value, value)
	now := s.now()
	if ttl > 0 {
		e.expires = now.Add(ttl)
	}
	s.mu.Lock()
	s.docs[key] = e
	if len(s.docs) >= s.docSwp {
		for k, e := range s.docs {
			if e.expired(now) {
				delete(s.docs, k)
			}
		}
		s.docSwp = max(2*len(s.docs), minSweep)
	}
	s.mu.Unlock()
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return opError("delete", key, err)
	}
	s.mu.Lock()
	delete(s.docs, key)
	s.mu.Unlock()
	return nil
}

// TryLock takes the lock named key for ttl if no one holds it. Locks are
// local to this Store: they exclude other users of the same Store, not other
// processes. See keystore.Locker for the contract.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, opError("lock", key, err)
	}
	if ttl <= 0 {
		return nil, false, opError("lock", key, fmt.Errorf("ttl %v is not positive", ttl))
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, held := s.locks[key]; held && now.Before(l.expires) {
		return nil, false, nil
	}
	s.token++
	token := s.token
	s.locks[key] = lock{token: token, expires: now.Add(ttl)}
	if len(s.locks) >= s.lockSwp {
		for k, l := range s.locks {
			if !now.Before(l.expires) {
				delete(s.locks, k)
			}
		}
		s.lockSwp = max(2*len(s.locks), minSweep)
	}
	unlock = func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return opError("unlock", key, err)
		}
		s.mu.Lock()
		if l, held := s.locks[key]; held && l.token == token {
			delete(s.locks, key)
		}
		s.mu.Unlock()
		return nil
	}
	return unlock, true, nil
}

// LockTTL returns the time left on the lock named key, or 0 when no one
// holds it. See keystore.LockInspector.
func (s *Store) LockTTL(ctx context.Context, key string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, opError("lock ttl", key, err)
	}
	now := s.now()
	s.mu.RLock()
	l, held := s.locks[key]
	s.mu.RUnlock()
	if !held || !now.Before(l.expires) {
		return 0, nil
	}
	return l.expires.Sub(now), nil
}

// Shared reports false: only this process can write a memory Store.
func (*Store) Shared() bool { return false }

// Publish announces key to every current subscriber of this Store. An
// announcement to a subscriber whose queue is full is dropped.
func (s *Store) Publish(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return opError("publish", key, err)
	}
	s.subMu.RLock()
	for sub := range s.subs {
		select {
		case sub.ch <- key:
		default: // best-effort: the subscriber is behind
		}
	}
	s.subMu.RUnlock()
	return nil
}

// Subscribe calls fn, from a goroutine of its own, with each key announced by
// Publish until ctx is done. The subscription is in place when Subscribe
// returns.
func (s *Store) Subscribe(ctx context.Context, fn func(key string)) error {
	if err := ctx.Err(); err != nil {
		return opError("subscribe", "", err)
	}
	if fn == nil {
		return opError("subscribe", "", errors.New("nil fn"))
	}
	sub := &subscriber{ch: make(chan string, subscriberBuffer)}
	s.subMu.Lock()
	s.subs[sub] = struct{}{}
	s.subMu.Unlock()
	go func() {
		defer func() {
			s.subMu.Lock()
			delete(s.subs, sub)
			s.subMu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case key := <-sub.ch:
				if ctx.Err() != nil {
					return
				}
				fn(key)
			}
		}
	}()
	return nil
}

// Ping reports whether the Store can answer, which it always can: it returns
// nil unless ctx is done.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return opError("ping", "", err)
	}
	return nil
}

func opError(op, key string, err error) error {
	if key == "" {
		return fmt.Errorf("keystore/memory: %s: %w", op, err)
	}
	return fmt.Errorf("keystore/memory: %s %q: %w", op, key, err)
}
