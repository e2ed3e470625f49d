package keystoretest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// fault is one way fakeStore breaks the keystore contract.
type fault int

const (
	noFault           fault = iota
	aliasGet                // Get returns the stored slice itself
	aliasPut                // Put keeps the caller's slice
	noExpiry                // Put ignores ttl
	expiresAtOnce           // a positive ttl expires at once
	zeroTTLExpires          // ttl <= 0 is taken as a short ttl
	ignoreCtx               // methods never look at ctx
	wrongCtxErr             // a done ctx gives an error that does not wrap ctx.Err()
	missIsNilNil            // Get on a miss returns nil, nil
	emptyIsMiss             // an empty value reads back as a miss
	deleteMissingErr        // deleting a missing key is an error
	lossyKeys               // keys are stored by their first 12 bytes
	staleUnlockFrees        // unlock deletes the lock whoever holds it
	lockNeverExpires        // TryLock ignores ttl
	lockNotExclusive        // TryLock always succeeds
	locksAreDocs            // lock names share the document namespace
	lockZeroTTLOK           // TryLock accepts ttl <= 0
	notifyDropsAll          // Publish delivers nothing
	notifyAfterCancel       // subscribers keep receiving after ctx is done
	pingFails               // Ping always fails
	lockTTLZero             // LockTTL reports every lock free
)

// fakeStore is a hand-written store that conforms unless given a fault.
type fakeStore struct {
	fault fault

	mu    sync.Mutex
	docs  map[string]fakeEntry
	locks map[string]fakeLock
	subs  []fakeSub
	n     int
	seen  map[string]time.Time // Add's marks
}

type fakeEntry struct {
	v       []byte
	expires time.Time
}

type fakeLock struct {
	token   int
	expires time.Time
}

type fakeSub struct {
	ctx context.Context
	fn  func(string)
}

func newFake(f fault) *fakeStore {
	return &fakeStore{fault: f, docs: map[string]fakeEntry{}, locks: map[string]fakeLock{}}
}

func (s *fakeStore) ctxErr(ctx context.Context) error {
	switch {
	case s.fault == ignoreCtx:
		return nil
	case ctx.Err() != nil && s.fault == wrongCtxErr:
		return errors.New("fake: done")
	case ctx.Err() != nil:
		return fmt.Errorf("fake: %w", ctx.Err())
	}
	return nil
}

func (s *fakeStore) key(k string) string {
	if s.fault == lossyKeys && len(k) > 12 {
		k = k[:12]
	}
	return k
}

func (s *fakeStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.docs[s.key(key)]
	if !ok || (!e.expires.IsZero() && !time.Now().Before(e.expires)) || (s.fault == emptyIsMiss && len(e.v) == 0) {
		if s.fault == missIsNilNil {
			return nil, nil
		}
		return nil, keystore.ErrNotFound
	}
	if s.fault == aliasGet {
		return e.v, nil
	}
	return append([]byte{}, e.v...), nil
}

func (s *fakeStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.ctxErr(ctx); err != nil {
		return err
	}
	e := fakeEntry{v: append([]byte{}, value...)}
	if s.fault == aliasPut {
		e.v = value
	}
	switch {
	case ttl > 0 && s.fault == expiresAtOnce:
		e.expires = time.Now()
	case ttl > 0 && s.fault != noExpiry:
		e.expires = time.Now().Add(ttl)
	case ttl <= 0 && s.fault == zeroTTLExpires:
		e.expires = time.Now().Add(10 * time.Millisecond)
	}
	s.mu.Lock()
	s.docs[s.key(key)] = e
	s.mu.Unlock()
	return nil
}

func (s *fakeStore) Delete(ctx context.Context, key string) error {
	if err := s.ctxErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.docs[s.key(key)]; !ok && s.fault == deleteMissingErr {
		return errors.New("fake: no such key")
	}
	delete(s.docs, s.key(key))
	return nil
}

func (s *fakeStore) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return nil, false, err
	}
	if ttl <= 0 && s.fault != lockZeroTTLOK {
		return nil, false, errors.New("fake: ttl not positive")
	}
	if s.fault == lockNeverExpires {
		ttl = time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault == locksAreDocs {
		key = s.key(key)
		if _, held := s.docs[key]; held {
			return nil, false, nil
		}
		s.docs[key] = fakeEntry{v: []byte("lock"), expires: time.Now().Add(ttl)}
		return func(context.Context) error {
			s.mu.Lock()
			delete(s.docs, key)
			s.mu.Unlock()
			return nil
		}, true, nil
	}
	if l, held := s.locks[key]; held && time.Now().Before(l.expires) && s.fault != lockNotExclusive {
		return nil, false, nil
	}
	s.n++
	token := s.n
	s.locks[key] = fakeLock{token: token, expires: time.Now().Add(ttl)}
	return func(ctx context.Context) error {
		if err := s.ctxErr(ctx); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if l := s.locks[key]; l.token == token || s.fault == staleUnlockFrees {
			delete(s.locks, key)
		}
		return nil
	}, true, nil
}

func (s *fakeStore) LockTTL(ctx context.Context, key string) (time.Duration, error) {
	if err := s.ctxErr(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, held := s.locks[key]
	if !held || !time.Now().Before(l.expires) || s.fault == lockTTLZero {
		return 0, nil
	}
	return time.Until(l.expires), nil
}

func (s *fakeStore) Publish(ctx context.Context, key string) error {
	if err := s.ctxErr(ctx); err != nil {
		return err
	}
	if s.fault == notifyDropsAll {
		return nil
	}
	s.mu.Lock()
	subs := append([]fakeSub{}, s.subs...)
	s.mu.Unlock()
	for _, sub := range subs {
		if sub.ctx.Err() == nil || s.fault == notifyAfterCancel {
			sub.fn(key) // synchronous: fine for a fake
		}
	}
	return nil
}

func (s *fakeStore) Subscribe(ctx context.Context, fn func(string)) error {
	if err := s.ctxErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.subs = append(s.subs, fakeSub{ctx: ctx, fn: fn})
	s.mu.Unlock()
	return nil
}

func (s *fakeStore) Ping(ctx context.Context) error {
	if err := s.ctxErr(ctx); err != nil {
		return err
	}
	if s.fault == pingFails {
		return errors.New("fake: down")
	}
	return nil
}

func TestMain(m *testing.M) {
	// The faults below make behaviours wait out settle; the stores here are
	// in process, so a short one is plenty.
	settle = 300 * time.Millisecond
	os.Exit(m.Run())
}

// plainStore hides every optional capability of a store.
type plainStore struct{ keystore.Store }

// TestSuiteCatchesFaults checks that each fault is reported by the
// behaviours that should catch it, and only by those.
func TestSuiteCatchesFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault fault
		want  []string // behaviours that must report a violation
	}{
		{name: "aliasGet", fault: aliasGet, want: []string{"GetReturnsCopy"}},
		{name: "aliasPut", fault: aliasPut, want: []string{"PutCopiesInput"}},
		{name: "noExpiry", fault: noExpiry, want: []string{"TTLExpires", "TTLNotPositiveNeverExpires"}},
		{name: "expiresAtOnce", fault: expiresAtOnce, want: []string{"TTLExpires"}},
		{name: "zeroTTLExpires", fault: zeroTTLExpires, want: []string{"TTLNotPositiveNeverExpires"}},
		{name: "ignoreCtx", fault: ignoreCtx, want: []string{"CanceledContext", "ExpiredContext", "LockCanceledContext", "LockTTL", "NotifyCanceledContext", "Ping"}},
		{name: "wrongCtxErr", fault: wrongCtxErr, want: []string{"CanceledContext", "ExpiredContext", "LockCanceledContext", "LockTTL", "NotifyCanceledContext", "Ping"}},
		{name: "missIsNilNil", fault: missIsNilNil, want: []string{"GetMissing", "Delete", "TTLExpires"}},
		{name: "emptyIsMiss", fault: emptyIsMiss, want: []string{"EmptyValue"}},
		{name: "deleteMissingErr", fault: deleteMissingErr, want: []string{"DeleteMissing"}},
		{name: "lossyKeys", fault: lossyKeys, want: []string{"OddKeys"}},
		{name: "staleUnlockFrees", fault: staleUnlockFrees, want: []string{"LockStaleUnlock"}},
		{name: "lockNeverExpires", fault: lockNeverExpires, want: []string{"LockExpires", "LockStaleUnlock"}},
		{name: "lockNotExclusive", fault: lockNotExclusive, want: []string{"LockExclusive", "LockExpires", "LockStaleUnlock", "LockSeparateFromDocuments"}},
		{name: "locksAreDocs", fault: locksAreDocs, want: []string{"LockSeparateFromDocuments"}},
		{name: "lockZeroTTLOK", fault: lockZeroTTLOK, want: []string{"LockTTLNotPositive"}},
		{name: "notifyDropsAll", fault: notifyDropsAll, want: []string{"NotifyDelivers", "NotifyStopsWithContext"}},
		{name: "notifyAfterCancel", fault: notifyAfterCancel, want: []string{"NotifyStopsWithContext"}},
		{name: "pingFails", fault: pingFails, want: []string{"Ping"}},
		{name: "lockTTLZero", fault: lockTTLZero, want: []string{"LockTTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := map[string]bool{}
			for _, name := range tt.want {
				want[name] = true
			}
			errs := runBehaviours(newFake(tt.fault), func(name string) bool { return want[name] })
			got := map[string]bool{}
			for _, err := range errs {
				name, _, _ := strings.Cut(err.Error(), ":")
				got[name] = true
			}
			for _, name := range tt.want {
				if !got[name] {
					t.Errorf("%s did not report fault %s; reported: %v", name, tt.name, errs)
				}
			}
		})
	}
}

func TestSuitePassesConformingStore(t *testing.T) {
	t.Parallel()
	if err := TestStore(newFake(noFault)); err != nil {
		t.Fatalf("TestStore(conforming fake) = %v", err)
	}
}

func TestRunOnConformingStore(t *testing.T) {
	t.Parallel()
	Run(t, func(*testing.T) keystore.Store { return newFake(noFault) })
}

func TestRunSkipsMissingCapabilities(t *testing.T) {
	t.Parallel()
	// A plain store: no Locker, Notifier or Pinger behaviour may run.
	errs := runBehaviours(plainStore{newFake(noFault)}, func(name string) bool {
		return strings.HasPrefix(name, "Lock") || strings.HasPrefix(name, "Notify") || name == "Ping"
	})
	if len(errs) != 0 {
		t.Fatalf("capability behaviours ran against a plain store: %v", errs)
	}
	if err := TestStore(nil); err == nil {
		t.Fatal("TestStore(nil) = nil, want an error")
	}
}
