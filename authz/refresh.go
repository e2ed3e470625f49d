package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/internal/keyring"
	"github.com/jwtguard/jwtguard/keystore"
)

// issuerState is one configured issuer at run time: its settings and the
// ring that owns its key lifecycle (internal/keyring).
type issuerState struct {
	cfg      *issuerConfig
	storeKey string // document key in the keystore
	ring     *keyring.Ring
}

func newIssuerState(cfg *issuerConfig) *issuerState {
	st := &issuerState{cfg: cfg, storeKey: "jwks:" + cfg.URL}
	st.ring = keyring.New(keyring.Config{Issuer: cfg.URL, Source: st.source(), StoreKey: st.storeKey, Now: time.Now})
	return st
}

// source names where the keys come from, so a stored document fetched from
// another URL (after a configuration change) is not used.
func (st *issuerState) source() string {
	switch {
	case st.cfg.JWKS != nil:
		return "inline"
	case st.cfg.JWKSFile != "":
		return "file:" + st.cfg.JWKSFile
	}
	if st.cfg.JWKSURL != "" {
		return st.cfg.JWKSURL
	}
	return st.cfg.DiscoveryURL
}

// keys returns the keys held, or nil.
func (st *issuerState) keys() *keySet { return st.ring.Current() }

// removed reports whether the issuer was removed.
func (st *issuerState) removed() bool { return st.ring.Removed() }

// announceQueue is how many announcements wait for the reloading goroutine
// before further ones are dropped (a dropped one only delays a reload until
// the next refresh).
const announceQueue = 64

// newRing makes the issuer's ring for v. Each issuer, also one removed and
// added again with the same URL, has a ring and an in-flight fetch of its
// own.
func (v *Validator) newRing(st *issuerState) {
	o := v.keyOpts
	store := v.keys
	if st.cfg.pinned() {
		// Pinned keys are this process's own: never shared through the
		// store, never taken from it.
		store = keyring.NewStore(keyring.StoreConfig{Now: v.now, Timeout: o.StoreTimeout, Backoff: o.storeBackoff(), MaxDocumentSize: o.MaxDocumentSize})
	}
	st.ring = keyring.New(keyring.Config{
		Issuer:   st.cfg.URL,
		Source:   st.source(),
		StoreKey: st.storeKey,
		Pinned:   st.cfg.JWKSURL != "" || st.cfg.pinned(),
		Fetch:    func(ctx context.Context, req keyring.FetchRequest) (*keySet, error) { return v.fetchKeys(ctx, st, req) },
		Now:      v.now,
		Options: keyring.Options{
			MaxTTL: o.MaxTTL, MaxStale: o.MaxStale, Cooldown: o.UnknownKeyCooldown,
			FetchTimeout: o.FetchTimeout, RetryMin: o.RetryMin, RetryMax: o.RetryMax, LockWait: o.LockWait,
		},
		Store:   store,
		Flights: v.flights,
		OnReject: func(reason string) {
			for _, h := range v.rejectHooks {
				h(StoreRejection{Issuer: st.cfg.Name, IssuerURL: st.cfg.URL, Reason: reason})
			}
		},
	})
}

// storeBackoff is how long a failed store is left alone: four store
// timeouts, within [RetryMin, RetryMax].
func (o KeyOptions) storeBackoff() time.Duration {
	return min(max(4*o.StoreTimeout, o.RetryMin), o.RetryMax)
}

// background refreshes keys before they expire, and has announced
// documents reloaded (see watch).
func (v *Validator) background() {
	defer v.wg.Done()
	if n := v.keys.Notifier(); n != nil {
		v.wg.Add(1)
		go v.watch(n)
	}
	for _, st := range v.table.Load().all {
		st.ring.RefreshAsync(keyring.ReasonLoad)
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
			for _, st := range v.table.Load().all {
				st.ring.RefreshIfDue()
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
		t := time.NewTimer(v.keyOpts.storeBackoff())
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
				ctx, cancel := context.WithTimeout(v.bgCtx, v.keyOpts.StoreTimeout)
				st.ring.Reload(ctx)
				cancel()
			}
		}
	}
}

// Warm fetches the keys of every issuer that has none, waiting up to ctx.
// It returns the joined errors of the issuers whose keys could not be had.
// Validate works without it; call it to fail fast at start-up or to gate
// readiness.
func (v *Validator) Warm(ctx context.Context) error {
	var errs []error
	for _, st := range v.table.Load().all {
		if _, err := st.ring.Usable(ctx); err != nil {
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
	// RejectedDocuments counts the documents read from the key store that
	// were refused (a missing or wrong MAC, another issuer's, out of
	// bounds, too large) since the Validator started: each one was treated
	// as a miss. More than zero on a fleet with WithStoreSecret means
	// someone other than the fleet writes the store, or the fleet's
	// secrets differ.
	RejectedDocuments uint64
	// LastRejectReason is the reason of the last refusal (see
	// StoreRejection.Reason), "" if none.
	LastRejectReason string
}

// Status reports every issuer's key state, for health checks and metrics.
func (v *Validator) Status() []IssuerStatus {
	var out []IssuerStatus
	for _, st := range v.table.Load().all {
		s := IssuerStatus{Name: st.cfg.Name, URL: st.cfg.URL}
		rs := st.ring.Status()
		if ks := rs.Set; ks != nil {
			s.Keys, s.FetchedAt, s.ExpiresAt = ks.Keys.Len(), ks.FetchedAt, ks.ExpiresAt
		}
		s.LastError = rs.LastErr
		s.RejectedDocuments, s.LastRejectReason = rs.Rejected, rs.LastReject
		out = append(out, s)
	}
	return out
}

// StoreRejection describes a stored document that was refused, for
// Hooks.StoreRejected.
type StoreRejection struct {
	// Issuer is the configured Name of the issuer; IssuerURL its URL.
	Issuer, IssuerURL string
	// Reason is a stable code: "mac" (no MAC, or one made with none of the
	// accepted secrets), "size", "format", "issuer" (another issuer's or
	// source's document), "bounds" (fetched in the future, or fresh for
	// longer than MaxTTL), "keys" (its JWKS does not parse).
	Reason string
}
