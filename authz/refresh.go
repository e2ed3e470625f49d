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
	lastKidFetch time.Time            // last IdP fetch for an unknown kid
	retryAt      time.Time            // no IdP fetch before this (back-off)
	failures     int                  // consecutive failed fetches
	lastErr      error                // last fetch error, nil after a success
	unknownKids  map[string]time.Time // kid → forget after
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
	if ks != nil && v.now().Before(ks.expiresAt.Add(v.keyOpts.MaxStale)) {
		return ks, nil
	}
	if err == nil {
		err = errors.New("no usable keys")
	}
	return nil, err
}

// refreshWait runs (or joins) the issuer's refresh and waits for it, or for
// ctx. The refresh itself runs on the Validator's context with FetchTimeout,
// so one caller giving up does not cancel it for the others.
func (v *Validator) refreshWait(ctx context.Context, st *issuerState, reason, kid string) (*keySet, error) {
	ch := v.sf.DoChan(st.cfg.URL, func() (any, error) {
		return v.refresh(st, reason, kid)
	})
	select {
	case r := <-ch:
		ks, _ := r.Val.(*keySet)
		return ks, r.Err
	case <-ctx.Done():
		return st.keys.Load(), ctx.Err()
	}
}

// refreshAsync starts a background refresh unless one is running.
func (v *Validator) refreshAsync(st *issuerState, reason string) {
	if v.closed.Load() || !st.refreshing.CompareAndSwap(false, true) {
		return
	}
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer st.refreshing.Store(false)
		ch := v.sf.DoChan(st.cfg.URL, func() (any, error) { return v.refresh(st, reason, "") })
		select {
		case <-ch:
		case <-v.bgCtx.Done():
		}
	}()
}

// refresh brings the issuer's keys up to date: from the shared store when
// another replica already fetched, else from the IdP (coordinated through a
// keystore.Locker when the store has one). It never drops the keys it has.
// With kid set it is a refresh for an unknown key, limited by the cooldown.
func (v *Validator) refresh(st *issuerState, reason, kid string) (*keySet, error) {
	ctx, cancel := context.WithTimeout(v.bgCtx, v.keyOpts.FetchTimeout)
	defer cancel()

	cur := st.keys.Load()
	if doc := v.loadStored(ctx, st); doc != nil && (cur == nil || doc.fetchedAt.After(cur.fetchedAt)) {
		st.keys.Store(doc)
		cur = doc
	}
	now := v.now()
	fresh := cur != nil && now.Before(cur.refreshAt)
	if kid == "" && fresh {
		return cur, nil
	}
	if kid != "" && cur != nil {
		if cur.hasKid(kid) {
			return cur, nil
		}
		st.mu.Lock()
		cooling := !st.lastKidFetch.IsZero() && now.Sub(st.lastKidFetch) < v.keyOpts.UnknownKeyCooldown
		st.mu.Unlock()
		if cooling {
			return cur, nil
		}
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

	// Fleet coordination: one replica fetches, the others wait for its
	// document. For an unknown kid the lock is never released: it is the
	// fleet-wide cooldown.
	if locker, ok := v.store.(keystore.Locker); ok && v.storeUsable() {
		name, ttl := "fetch:"+st.cfg.URL, v.keyOpts.FetchTimeout+time.Second
		if kid != "" {
			name, ttl = "cooldown:"+st.cfg.URL, v.keyOpts.UnknownKeyCooldown
		}
		sctx, scancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
		unlock, got, err := locker.TryLock(sctx, name, ttl)
		scancel()
		switch {
		case err != nil:
			v.storeFailed()
		case !got:
			var since time.Time
			if cur != nil {
				since = cur.fetchedAt
			}
			if doc := v.waitStored(ctx, st, since); doc != nil {
				st.keys.Store(doc)
				return doc, nil
			}
			if kid != "" && cur != nil {
				return cur, nil // another replica holds the cooldown
			}
			// The holder died or is slow: fetch ourselves.
		default:
			if kid == "" {
				defer func() {
					uctx, ucancel := context.WithTimeout(context.WithoutCancel(ctx), v.keyOpts.StoreTimeout)
					_ = unlock(uctx)
					ucancel()
				}()
			}
		}
	}

	if kid != "" {
		reason = "unknown_kid"
	} else if cur == nil {
		reason = "load"
	}
	if kid != "" {
		st.mu.Lock()
		st.lastKidFetch = now
		st.mu.Unlock()
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
		st.keys.Store(ks)
	}
	v.saveStored(ctx, st, ks)
	return ks, nil
}

// storeUsable reports whether the store is outside its failure back-off.
func (v *Validator) storeUsable() bool {
	return time.Now().UnixNano() >= v.storeDownUntil.Load()
}

// storeFailed puts the store in back-off, so requests and refreshes stop
// waiting on it; it is tried again after the back-off.
func (v *Validator) storeFailed() {
	v.storeDownUntil.Store(time.Now().Add(2 * time.Second).UnixNano())
}

// loadStored reads and parses the issuer's document from the store. A miss,
// a store failure or a document that does not belong to this issuer all
// return nil.
func (v *Validator) loadStored(ctx context.Context, st *issuerState) *keySet {
	if !v.storeUsable() {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
	data, err := v.store.Get(sctx, st.storeKey)
	cancel()
	if err != nil {
		if !errors.Is(err, keystore.ErrNotFound) && ctx.Err() == nil {
			v.storeFailed()
		}
		return nil
	}
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
	if v.now().After(ks.expiresAt.Add(v.keyOpts.MaxStale)) {
		return nil
	}
	return ks
}

// waitStored polls the store until it holds a document fetched after since,
// for at most LockWait.
func (v *Validator) waitStored(ctx context.Context, st *issuerState, since time.Time) *keySet {
	deadline := time.NewTimer(v.keyOpts.LockWait)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			return nil
		case <-tick.C:
			if !v.storeUsable() {
				return nil
			}
			if ks := v.loadStored(ctx, st); ks != nil && ks.fetchedAt.After(since) {
				return ks
			}
		}
	}
}

// saveStored writes the fetched keys to the store and announces them. Store
// failures are not fatal: the keys are in process already.
func (v *Validator) saveStored(ctx context.Context, st *issuerState, ks *keySet) {
	if !v.storeUsable() {
		return
	}
	data, err := json.Marshal(storedDoc{
		V: 1, Issuer: st.cfg.URL, Source: st.source(),
		FetchedAt: ks.fetchedAt.UnixMilli(), ExpiresAt: ks.expiresAt.UnixMilli(),
		JWKS: ks.raw,
	})
	if err != nil {
		return
	}
	ttl := ks.expiresAt.Sub(v.now()) + v.keyOpts.MaxStale
	sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
	defer cancel()
	if err := v.store.Put(sctx, st.storeKey, data, ttl); err != nil {
		v.storeFailed()
		return
	}
	if n, ok := v.store.(keystore.Notifier); ok {
		_ = n.Publish(sctx, st.storeKey)
	}
}

// background refreshes keys before they expire and reloads documents other
// replicas announce.
func (v *Validator) background() {
	defer v.wg.Done()
	if n, ok := v.store.(keystore.Notifier); ok {
		_ = n.Subscribe(v.bgCtx, func(key string) {
			if st := v.table.Load().byStoreKey[key]; st != nil {
				v.reloadAsync(st)
			}
		})
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

// reloadAsync adopts a newer stored document, without fetching.
func (v *Validator) reloadAsync(st *issuerState) {
	if v.closed.Load() {
		return
	}
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(v.bgCtx, v.keyOpts.StoreTimeout)
		defer cancel()
		if doc := v.loadStored(ctx, st); doc != nil {
			for {
				cur := st.keys.Load()
				if cur != nil && !doc.fetchedAt.After(cur.fetchedAt) {
					return
				}
				if st.keys.CompareAndSwap(cur, doc) {
					return
				}
			}
		}
	}()
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
			s.Keys, s.FetchedAt, s.ExpiresAt = len(ks.all), ks.fetchedAt, ks.expiresAt
		}
		st.mu.Lock()
		s.LastError = st.lastErr
		st.mu.Unlock()
		out = append(out, s)
	}
	return out
}
