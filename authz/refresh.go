package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// issuerState is one configured issuer at run time: its settings and its
// key set.
type issuerState struct {
	cfg      *issuerConfig
	storeKey string // document key in the keystore
	keys     atomic.Pointer[keySet]
	removed  atomic.Bool

	refreshing atomic.Bool // a background refresh is running

	mu           sync.Mutex
	discovered   string               // jwks_uri from discovery
	lastKidFetch time.Time            // unknown-kid cooldown start (here or fleet-wide)
	retryAt      time.Time            // no IdP fetch before this (back-off)
	failures     int                  // consecutive failed fetches
	lastErr      error                // last fetch error, nil after a success
	unknownKids  map[string]time.Time // kid → forget after
	announced    chan struct{}        // closed when the document is announced
}

const maxUnknownKids = 1024

func newIssuerState(cfg *issuerConfig) *issuerState {
	return &issuerState{cfg: cfg, storeKey: "jwks:" + cfg.URL, unknownKids: map[string]time.Time{}}
}

// source names where the keys come from, so a stored document fetched from
// another URL (after a configuration change) is not used.
func (st *issuerState) source() string {
	if st.cfg.JWKSURL != "" {
		return st.cfg.JWKSURL
	}
	return st.cfg.DiscoveryURL
}

func (st *issuerState) isUnknownKid(kid string, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	until, ok := st.unknownKids[kid]
	if ok && now.After(until) {
		delete(st.unknownKids, kid)
		return false
	}
	return ok
}

func (st *issuerState) rememberUnknownKid(kid string, until time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.unknownKids) >= maxUnknownKids {
		for k, t := range st.unknownKids { // drop expired, else an arbitrary one
			if t.Before(until) {
				delete(st.unknownKids, k)
				if len(st.unknownKids) < maxUnknownKids/2 {
					break
				}
			}
		}
		if len(st.unknownKids) >= maxUnknownKids {
			for k := range st.unknownKids {
				delete(st.unknownKids, k)
				break
			}
		}
	}
	st.unknownKids[kid] = until
}

// storedDoc is the document kept in the keystore for one issuer.
type storedDoc struct {
	V         int             `json:"v"`
	Issuer    string          `json:"iss"`
	Source    string          `json:"src"`
	FetchedAt int64           `json:"fetched_at"` // unix ms
	ExpiresAt int64           `json:"expires_at"` // unix ms
	JWKS      json.RawMessage `json:"jwks"`
}

const (
	// storePoll is how often a replica waiting for another replica's fetch
	// looks at the store; an announcement wakes it sooner.
	storePoll = 50 * time.Millisecond
	// announceQueue is how many announcements wait for the reloading
	// goroutine before further ones are dropped (a dropped one only delays
	// a reload until the next refresh).
	announceQueue = 64
)

// adopt installs ks as the issuer's keys unless the keys held were fetched
// at the same time or later, and returns the keys held afterwards. A nil ks
// changes nothing. Keys are never dropped: only a newer set replaces them.
func (st *issuerState) adopt(ks *keySet) *keySet {
	for {
		cur := st.keys.Load()
		if ks == nil || (cur != nil && !ks.fetchedAt.After(cur.fetchedAt)) {
			return cur
		}
		if st.removed.Load() {
			return ks
		}
		if st.keys.CompareAndSwap(cur, ks) {
			return ks
		}
	}
}

// changed returns a channel that is closed when the issuer's document is
// next announced by the store (see announce).
func (st *issuerState) changed() <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.announced == nil {
		st.announced = make(chan struct{})
	}
	return st.announced
}

// announce wakes every waitStored waiting on the issuer.
func (st *issuerState) announce() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.announced != nil {
		close(st.announced)
		st.announced = nil
	}
}

// keysFor returns the issuer's usable keys, fetching when none are.
func (v *Validator) keysFor(ctx context.Context, st *issuerState) (*keySet, error) {
	ks := st.keys.Load()
	if ks != nil {
		now := v.now()
		if now.Before(ks.expiresAt) {
			return ks, nil
		}
		if now.Before(ks.expiresAt.Add(v.keyOpts.MaxStale)) {
			v.refreshAsync(st, "refresh")
			return ks, nil
		}
	}
	ks, err := v.refreshWait(ctx, st, "load", "")
	if v.usable(ks) {
		return ks, nil
	}
	if err == nil {
		err = errors.New("no usable keys")
	}
	return nil, err
}

// usable reports whether ks may still verify tokens: it is fresh, or stale
// by no more than MaxStale.
func (v *Validator) usable(ks *keySet) bool {
	return ks != nil && v.now().Before(ks.expiresAt.Add(v.keyOpts.MaxStale))
}

// refreshWait runs (or joins) the issuer's refresh and waits for it, or for
// ctx. The refresh itself runs on the Validator's context with FetchTimeout,
// so one caller giving up does not cancel it for the others.
//
// With kid set, a caller that joined a refresh started for another reason
// (a scheduled refresh, or another kid) and did not get kid from it runs
// one refresh of its own for kid: the refresh it joined may have been
// satisfied without looking for kid at all. Within the cooldown that second
// refresh costs a store read, not a fetch.
func (v *Validator) refreshWait(ctx context.Context, st *issuerState, reason, kid string) (*keySet, error) {
	for round := 0; ; round++ {
		ran := false // set by our own refresh; read after ch delivers
		ch := v.sf.DoChan(st.cfg.URL, func() (any, error) {
			ran = true
			// The first caller's context values (a trace span) carry into
			// the shared fetch; its cancellation does not.
			return v.refresh(context.WithoutCancel(ctx), st, reason, kid)
		})
		select {
		case r := <-ch:
			ks, _ := r.Val.(*keySet)
			if kid != "" && !ran && round == 0 && (ks == nil || !ks.hasKid(kid)) {
				continue
			}
			return ks, r.Err
		case <-ctx.Done():
			return st.keys.Load(), ctx.Err()
		}
	}
}

// refreshAsync starts a background refresh unless one is running.
func (v *Validator) refreshAsync(st *issuerState, reason string) {
	if !st.refreshing.CompareAndSwap(false, true) {
		return
	}
	if !v.goBackground() {
		st.refreshing.Store(false)
		return
	}
	go func() {
		defer v.wg.Done()
		defer st.refreshing.Store(false)
		ch := v.sf.DoChan(st.cfg.URL, func() (any, error) { return v.refresh(context.Background(), st, reason, "") })
		select {
		case <-ch:
		case <-v.bgCtx.Done():
		}
	}()
}

// refresh brings the issuer's keys up to date: from the shared store when
// another replica already fetched, else from the IdP. It never drops the
// keys it has. With kid set it is a refresh for an unknown key, limited by
// the cooldown.
//
// When the store is a keystore.Locker, replicas coordinate through two
// locks per issuer:
//
//   - "fetch:<issuer>" is held while one replica fetches and stores the
//     document, and released after. A replica that finds it held waits (up
//     to LockWait) for the holder's document or for the lock, instead of
//     fetching (see waitStored); one that takes the lock first reads the
//     store again, since the previous holder may have just stored what it
//     needs.
//   - "cooldown:<issuer>" is taken, while holding the fetch lock, before a
//     fetch for an unknown kid, and never released: it expires after
//     UnknownKeyCooldown, and until then no replica fetches for an unknown
//     kid. Taking it under the fetch lock means that a replica which holds
//     the fetch lock and finds the cooldown taken knows the fetch it stands
//     for has finished and its document is in the store.
//   - "backoff:<issuer>" is taken the same way before a scheduled refresh
//     (one with usable keys in hand) and never released: it expires after
//     RetryMin. A replica that finds it taken, and the store holding
//     nothing fresh, knows the last attempt failed, and keeps serving its
//     keys. So an IdP that is down sees one attempt per RetryMin from the
//     fleet, not one per replica. A replica with no usable keys does not
//     wait for it.
//
// A store that fails is put in back-off and the replica fetches on its own,
// with its own cooldown.
func (v *Validator) refresh(parent context.Context, st *issuerState, reason, kid string) (*keySet, error) {
	ctx, cancel := context.WithTimeout(parent, v.keyOpts.FetchTimeout)
	defer cancel()
	stop := context.AfterFunc(v.bgCtx, cancel) // Close ends every refresh
	defer stop()

	// satisfied reports whether ks makes a fetch unnecessary.
	satisfied := func(ks *keySet) bool {
		switch {
		case ks == nil:
			return false
		case kid != "":
			return ks.hasKid(kid)
		default:
			return v.now().Before(ks.refreshAt)
		}
	}

	cur := st.adopt(v.loadStored(ctx, st))
	if satisfied(cur) {
		return cur, nil
	}
	if cur == nil {
		kid = "" // nothing to find kid in: load first
	}
	now := v.now()
	if kid != "" && st.cooling(now, v.keyOpts.UnknownKeyCooldown) {
		return cur, nil
	}
	st.mu.Lock()
	backoff := time.Now().Before(st.retryAt) // real time: an operational rate limit
	lastErr := st.lastErr
	st.mu.Unlock()
	if backoff {
		if lastErr == nil {
			lastErr = errors.New("fetch back-off")
		}
		return cur, lastErr
	}

	if locker, ok := v.store.(keystore.Locker); ok && v.storeUsable() {
		var since time.Time
		if cur != nil {
			since = cur.fetchedAt
		}
		unlock, doc, err := v.waitStored(ctx, st, locker, since)
		switch {
		case doc != nil:
			// Another replica fetched while we waited.
			return doc, nil
		case unlock != nil:
			defer v.release(ctx, unlock)
			// The previous holder may have stored what we need since we
			// looked.
			if cur = st.adopt(v.loadStored(ctx, st)); satisfied(cur) {
				return cur, nil
			}
			switch {
			case kid != "":
				_, got, err := v.tryLock(ctx, locker, "cooldown:"+st.cfg.URL, v.keyOpts.UnknownKeyCooldown)
				if err == nil && !got {
					// Another replica fetched for an unknown kid within
					// the cooldown, and its document is the one just
					// read. Cool down here too.
					st.startCooldown(now)
					return cur, nil
				}
			case v.usable(cur):
				_, got, err := v.tryLock(ctx, locker, "backoff:"+st.cfg.URL, v.keyOpts.RetryMin)
				if err == nil && !got {
					// Another replica tried within RetryMin and stored
					// nothing newer: its fetch failed. Keep serving.
					return cur, nil
				}
			}
		case ctx.Err() != nil:
			return cur, ctx.Err()
		case err != nil:
			// The store failed and is in back-off now: fetch directly.
		case v.usable(cur):
			// Another replica held the lock for all of LockWait. Keep
			// serving what we have and let the next refresh try again,
			// rather than have every waiting replica call an IdP that
			// may be slow already.
			return cur, nil
		default:
			// Nothing to serve, and the holder died or is slow: fetch.
		}
	}

	if kid != "" {
		reason = "unknown_kid"
		st.startCooldown(now)
	} else if cur == nil {
		reason = "load"
	}
	ks, err := v.fetchKeys(ctx, st, reason)
	if err != nil {
		st.mu.Lock()
		st.failures++
		backoff := v.keyOpts.RetryMin << min(st.failures-1, 16)
		if backoff > v.keyOpts.RetryMax || backoff <= 0 {
			backoff = v.keyOpts.RetryMax
		}
		st.retryAt = time.Now().Add(backoff)
		st.lastErr = err
		st.mu.Unlock()
		return cur, err
	}
	st.mu.Lock()
	st.failures = 0
	st.retryAt = time.Time{}
	st.lastErr = nil
	st.mu.Unlock()
	if !st.removed.Load() {
		// Stored unconditionally: these keys are what the IdP serves now.
		st.keys.Store(ks)
	}
	v.saveStored(ctx, st, ks)
	return ks, nil
}

// cooling reports whether an unknown-kid fetch for the issuer happened, or
// was found to have happened elsewhere in the fleet, within cooldown.
func (st *issuerState) cooling(now time.Time, cooldown time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.lastKidFetch.IsZero() && now.Sub(st.lastKidFetch) < cooldown
}

// startCooldown starts the issuer's unknown-kid cooldown at now.
func (st *issuerState) startCooldown(now time.Time) {
	st.mu.Lock()
	st.lastKidFetch = now
	st.mu.Unlock()
}

// tryLock takes a fleet lock, bounded by StoreTimeout. A store error puts
// the store in back-off.
func (v *Validator) tryLock(ctx context.Context, locker keystore.Locker, name string, ttl time.Duration) (func(context.Context) error, bool, error) {
	sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
	defer cancel()
	unlock, got, err := locker.TryLock(sctx, name, ttl)
	if err != nil {
		if ctx.Err() == nil {
			v.storeFailed()
		}
		return nil, false, err
	}
	return unlock, got, nil
}

// release releases a fleet lock, bounded by StoreTimeout even when ctx is
// done. A lock that cannot be released expires by itself.
func (v *Validator) release(ctx context.Context, unlock func(context.Context) error) {
	if unlock == nil {
		return
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.keyOpts.StoreTimeout)
	defer cancel()
	_ = unlock(uctx)
}

// storeUsable reports whether the store is outside its failure back-off.
func (v *Validator) storeUsable() bool {
	return time.Now().UnixNano() >= v.storeDownUntil.Load()
}

// storeFailed puts the store in back-off, so requests and refreshes stop
// waiting on it; it is tried again after the back-off: four store timeouts,
// within [RetryMin, RetryMax] (2s with the defaults).
func (v *Validator) storeFailed() {
	v.storeDownUntil.Store(time.Now().Add(v.storeBackoff()).UnixNano())
}

// storeBackoff is how long a failed store is left alone.
func (v *Validator) storeBackoff() time.Duration {
	return min(max(4*v.keyOpts.StoreTimeout, v.keyOpts.RetryMin), v.keyOpts.RetryMax)
}

// storeWorked ends a back-off early: the store just answered.
func (v *Validator) storeWorked() {
	if v.storeDownUntil.Load() != 0 {
		v.storeDownUntil.Store(0)
	}
}

// loadStored is readStored unless the store is in back-off.
func (v *Validator) loadStored(ctx context.Context, st *issuerState) *keySet {
	if !v.storeUsable() {
		return nil
	}
	return v.readStored(ctx, st)
}

// readStored reads and parses the issuer's document from the store. A miss,
// a store failure, a document that does not belong to this issuer, and one
// older than MaxStale allows all return nil. When the document is not newer
// than the keys held, it returns those without parsing.
func (v *Validator) readStored(ctx context.Context, st *issuerState) *keySet {
	sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
	data, err := v.store.Get(sctx, st.storeKey)
	cancel()
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		v.storeWorked()
		return nil
	case err != nil:
		if ctx.Err() == nil {
			v.storeFailed()
		}
		return nil
	}
	v.storeWorked()
	var doc storedDoc
	if json.Unmarshal(data, &doc) != nil || doc.V != 1 || doc.Issuer != st.cfg.URL || doc.Source != st.source() {
		return nil
	}
	if cur := st.keys.Load(); cur != nil && cur.fetchedAt.UnixMilli() >= doc.FetchedAt {
		return cur // nothing newer: skip parsing
	}
	ks, err := parseJWKS(doc.JWKS)
	if err != nil {
		return nil
	}
	ks.fetchedAt = time.UnixMilli(doc.FetchedAt)
	ks.expiresAt = time.UnixMilli(doc.ExpiresAt)
	ks.refreshAt = ks.fetchedAt.Add(ks.expiresAt.Sub(ks.fetchedAt) * 4 / 5)
	if !v.usable(ks) {
		return nil
	}
	return ks
}

// waitStored takes the issuer's fetch lock, or waits for the replica that
// holds it, for at most LockWait. While it waits it polls the store, and
// looks again when the store announces the document, and it tries the lock
// again each time, so the wait ends as soon as the holder releases the lock,
// whether or not it stored anything.
//
// It returns unlock when it took the lock; doc when keys fetched after since
// came (from the store or an announcement); err when the store failed or
// ctx ended; and nothing when LockWait passed with the lock held throughout.
func (v *Validator) waitStored(ctx context.Context, st *issuerState, locker keystore.Locker, since time.Time) (unlock func(context.Context) error, doc *keySet, err error) {
	name, ttl := "fetch:"+st.cfg.URL, v.keyOpts.FetchTimeout+time.Second
	var deadline <-chan time.Time
	var tick *time.Ticker
	for {
		wake := st.changed()
		unlock, got, err := v.tryLock(ctx, locker, name, ttl)
		switch {
		case err != nil:
			return nil, nil, err
		case got:
			return unlock, nil, nil
		}
		if deadline == nil {
			t := time.NewTimer(v.keyOpts.LockWait)
			defer t.Stop()
			deadline = t.C
			tick = time.NewTicker(storePoll)
			defer tick.Stop()
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-deadline:
			return nil, nil, nil
		case <-wake:
		case <-tick.C:
		}
		if ks := st.keys.Load(); ks != nil && ks.fetchedAt.After(since) {
			return nil, ks, nil // adopted from an announcement
		}
		if !v.storeUsable() {
			return nil, nil, errors.New("key store in back-off")
		}
		if ks := st.adopt(v.readStored(ctx, st)); ks != nil && ks.fetchedAt.After(since) {
			return nil, ks, nil
		}
	}
}

// saveStored writes the fetched keys to the store and announces them. Store
// failures are not fatal: the keys are in process already.
func (v *Validator) saveStored(ctx context.Context, st *issuerState, ks *keySet) {
	if !v.storeUsable() {
		return
	}
	ttl := ks.expiresAt.Sub(v.now()) + v.keyOpts.MaxStale
	if ttl <= 0 {
		return // a ttl of zero would mean no expiry
	}
	data, err := json.Marshal(storedDoc{
		V: 1, Issuer: st.cfg.URL, Source: st.source(),
		FetchedAt: ks.fetchedAt.UnixMilli(), ExpiresAt: ks.expiresAt.UnixMilli(),
		JWKS: ks.raw,
	})
	if err != nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
	err = v.store.Put(sctx, st.storeKey, data, ttl)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			v.storeFailed()
		}
		return
	}
	if n, ok := v.store.(keystore.Notifier); ok {
		sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
		_ = n.Publish(sctx, st.storeKey) // best-effort: others poll as well
		cancel()
	}
}

// background refreshes keys before they expire, and has announced
// documents reloaded (see watch).
func (v *Validator) background() {
	defer v.wg.Done()
	if n, ok := v.store.(keystore.Notifier); ok {
		v.wg.Add(1)
		go v.watch(n)
	}
	for _, st := range v.table.Load().all {
		v.refreshAsync(st, "load")
	}
	interval := v.keyOpts.MinTTL / 4
	interval = max(min(interval, 15*time.Second), 50*time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-v.bgCtx.Done():
			return
		case <-t.C:
			now := v.now()
			for _, st := range v.table.Load().all {
				ks := st.keys.Load()
				if ks == nil || !now.Before(ks.refreshAt) {
					v.refreshAsync(st, "refresh")
				}
			}
		}
	}
}

// watch subscribes to the store's announcements and reloads each announced
// document, one at a time, until the Validator is closed. A subscription
// that fails (the store is down at start-up) is tried again after the store
// back-off, until it succeeds; after that the store keeps it up.
func (v *Validator) watch(n keystore.Notifier) {
	defer v.wg.Done()
	keys := make(chan string, announceQueue)
	deliver := func(key string) {
		select {
		case keys <- key:
		default: // full: the next refresh catches up
		}
	}
	for n.Subscribe(v.bgCtx, deliver) != nil {
		t := time.NewTimer(v.storeBackoff())
		select {
		case <-v.bgCtx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	for {
		select {
		case <-v.bgCtx.Done():
			return
		case key := <-keys:
			if st := v.table.Load().byStoreKey[key]; st != nil {
				v.reload(st)
			}
		}
	}
}

// reload adopts the issuer's stored document if it is newer, without
// fetching, and wakes the refresh waiting for it, if any. An announcement
// shows the store answers, so it is read even during a store back-off.
func (v *Validator) reload(st *issuerState) {
	ctx, cancel := context.WithTimeout(v.bgCtx, v.keyOpts.StoreTimeout)
	defer cancel()
	st.adopt(v.readStored(ctx, st))
	st.announce()
}

// Warm fetches the keys of every issuer that has none, waiting up to ctx.
// It returns the joined errors of the issuers whose keys could not be had.
// Validate works without it; call it to fail fast at start-up or to gate
// readiness.
func (v *Validator) Warm(ctx context.Context) error {
	var errs []error
	for _, st := range v.table.Load().all {
		if _, err := v.keysFor(ctx, st); err != nil {
			errs = append(errs, fmt.Errorf("issuer %s: %w", st.cfg.Name, err))
		}
	}
	return errors.Join(errs...)
}

// IssuerStatus reports the state of one issuer's keys.
type IssuerStatus struct {
	// Name and URL of the issuer.
	Name, URL string
	// Keys is the number of usable keys held (0 when none).
	Keys int
	// FetchedAt is when the keys were fetched from the IdP; ExpiresAt is
	// when they stop being fresh.
	FetchedAt, ExpiresAt time.Time
	// LastError is the last fetch error, nil after a success.
	LastError error
}

// Status reports every issuer's key state, for health checks and metrics.
func (v *Validator) Status() []IssuerStatus {
	var out []IssuerStatus
	for _, st := range v.table.Load().all {
		s := IssuerStatus{Name: st.cfg.Name, URL: st.cfg.URL}
		if ks := st.keys.Load(); ks != nil {
			s.Keys, s.FetchedAt, s.ExpiresAt = ks.len(), ks.fetchedAt, ks.expiresAt
		}
		st.mu.Lock()
		s.LastError = st.lastErr
		st.mu.Unlock()
		out = append(out, s)
	}
	return out
}
