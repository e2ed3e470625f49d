package keyring

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// Store is the keystore.Store the rings of one Validator share, with what
// they need around it: signing and checking documents, a failure back-off,
// and coordination between replicas (fleet) or none (solo).
type Store struct {
	s        keystore.Store // nil: no store
	coord    coordinator
	notifier keystore.Notifier
	secrets  [][]byte // the first signs; all are accepted
	now      func() time.Time
	timeout  time.Duration
	backoff  time.Duration
	maxDoc   int
	down     atomic.Int64 // unix ns on the ring clock: store skipped until then
}

// StoreConfig configures NewStore.
type StoreConfig struct {
	// Store is the store; nil for none (keys live in process only).
	Store keystore.Store
	// Secrets sign and check documents: the first signs, every one is
	// accepted. None means documents are signed with an empty key, which
	// detects corruption but not forgery.
	Secrets [][]byte
	// Now is the clock.
	Now func() time.Time
	// Timeout bounds each store call; Backoff is how long a failing store
	// is left alone.
	Timeout, Backoff time.Duration
	// MaxDocumentSize bounds the JWKS a document may carry.
	MaxDocumentSize int64
}

// NewStore returns the shared store for c.
func NewStore(c StoreConfig) *Store {
	s := &Store{s: c.Store, now: c.Now, timeout: c.Timeout, backoff: c.Backoff, maxDoc: int(min(c.MaxDocumentSize, 1<<40)) + EnvelopeOverhead}
	s.secrets = c.Secrets
	if len(s.secrets) == 0 {
		s.secrets = [][]byte{{}}
	}
	s.coord = solo{}
	if l, ok := c.Store.(keystore.Locker); ok {
		in, _ := c.Store.(keystore.LockInspector)
		s.coord = &fleet{store: s, locker: l, inspector: in}
	}
	s.notifier, _ = c.Store.(keystore.Notifier)
	return s
}

// Notifier returns the store's announcement capability, or nil.
func (s *Store) Notifier() keystore.Notifier {
	if s == nil {
		return nil
	}
	return s.notifier
}

func (s *Store) enabled() bool { return s != nil && s.s != nil }

// usable reports whether the store is outside its failure back-off.
func (s *Store) usable() bool {
	return s.enabled() && s.now().UnixNano() >= s.down.Load()
}

func (s *Store) failed(ctx context.Context) {
	if ctx.Err() == nil { // the caller gave up: not the store's fault
		s.down.Store(s.now().Add(s.backoff).UnixNano())
	}
}

func (s *Store) worked() {
	if s.down.Load() != 0 {
		s.down.Store(0)
	}
}

// get reads the raw document under key: nil, nil on a miss.
func (s *Store) get(ctx context.Context, key string) ([]byte, error) {
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	data, err := s.s.Get(sctx, key)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		s.worked()
		return nil, nil
	case err != nil:
		s.failed(ctx)
		return nil, err
	}
	s.worked()
	return data, nil
}

// put writes a sealed document and announces it.
func (s *Store) put(ctx context.Context, key string, e *envelope, ttl time.Duration) error {
	data, err := seal(s.secrets[0], key, e)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	err = s.s.Put(sctx, key, data, ttl)
	cancel()
	if err != nil {
		s.failed(ctx)
		return err
	}
	if s.notifier != nil {
		sctx, cancel := context.WithTimeout(ctx, s.timeout)
		_ = s.notifier.Publish(sctx, key) // best-effort: others refresh anyway
		cancel()
	}
	return nil
}

// lockState is what trying a fleet lock found.
type lockState int

const (
	lockTaken   lockState = iota // we hold it (or there is no fleet)
	lockHeld                     // another replica holds it, with a ttl we would set
	lockForged                   // held with a ttl longer than ours: ignored
	lockFailed                   // the store failed
	lockFree                     // a probe found no holder (or could not tell)
	lockCooling                  // (acquire) the fleet's unknown-kid cooldown is running
)

// coordinator takes the fleet locks a refresh needs: solo (no store, or a
// store without locks) always grants them; fleet takes them in the store.
type coordinator interface {
	// tryLock tries the lock named name for ttl once. left is the time the
	// holder has left, when held.
	tryLock(ctx context.Context, name string, ttl time.Duration) (unlock func(), st lockState, left time.Duration)
	// probe looks, without taking it, at the lock named name that this
	// Validator would take for ttl: lockFree when no one holds it (or it
	// cannot tell), lockHeld with the time left, or lockForged.
	probe(ctx context.Context, name string, ttl time.Duration) (lockState, time.Duration)
}

type solo struct{}

func (solo) tryLock(context.Context, string, time.Duration) (func(), lockState, time.Duration) {
	return nil, lockTaken, 0
}

func (solo) probe(context.Context, string, time.Duration) (lockState, time.Duration) {
	return lockFree, 0
}

type fleet struct {
	store     *Store
	locker    keystore.Locker
	inspector keystore.LockInspector // nil: every held lock is obeyed
}

// lockSlack absorbs rounding (Redis counts PX in ms) when a held lock's
// ttl is compared with the ttl this replica would set.
const lockSlack = 50 * time.Millisecond

func (f *fleet) probe(ctx context.Context, name string, ttl time.Duration) (lockState, time.Duration) {
	s := f.store
	if f.inspector == nil || !s.usable() {
		return lockFree, 0
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	left, err := f.inspector.LockTTL(sctx, name)
	cancel()
	switch {
	case err != nil:
		s.failed(ctx)
		return lockFree, 0
	case left == 0:
		return lockFree, 0
	case left < 0 || left > ttl+lockSlack:
		return lockForged, 0
	}
	return lockHeld, left
}

func (f *fleet) tryLock(ctx context.Context, name string, ttl time.Duration) (func(), lockState, time.Duration) {
	s := f.store
	if !s.usable() {
		return nil, lockFailed, 0
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	unlock, got, err := f.locker.TryLock(sctx, name, ttl)
	cancel()
	if err != nil {
		s.failed(ctx)
		return nil, lockFailed, 0
	}
	s.worked()
	if got {
		return func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
			defer cancel()
			_ = unlock(uctx) // a lock not released expires by itself
		}, lockTaken, 0
	}
	if f.inspector == nil {
		return nil, lockHeld, ttl
	}
	sctx, cancel = context.WithTimeout(ctx, s.timeout)
	left, err := f.inspector.LockTTL(sctx, name)
	cancel()
	switch {
	case err != nil:
		s.failed(ctx)
		return nil, lockFailed, 0
	case left < 0 || left > ttl+lockSlack:
		// Not a lock this Validator's fleet would set: someone wrote it.
		// Obeying it would let a store writer stop rotations for as long
		// as they like; ignoring it costs at most an extra fetch.
		return nil, lockForged, 0
	case left == 0:
		// Released between the two calls: try once more.
		sctx, cancel = context.WithTimeout(ctx, s.timeout)
		unlock, got, err = f.locker.TryLock(sctx, name, ttl)
		cancel()
		if err == nil && got {
			return func() {
				uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
				defer cancel()
				_ = unlock(uctx)
			}, lockTaken, 0
		}
		return nil, lockHeld, ttl
	}
	return nil, lockHeld, left
}
