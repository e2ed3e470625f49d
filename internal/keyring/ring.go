package keyring

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
)

// Set is one snapshot of an issuer's keys. It is immutable: the hot path
// loads it through an atomic pointer and reads it without locks.
type Set struct {
	Keys *jws.KeySet
	// Raw is the JWKS document as fetched.
	Raw []byte
	// JWKSURI is the jwks_uri it was fetched from when discovered; "" when
	// the JWKS URL is configured.
	JWKSURI string
	// FetchedAt is when the IdP served it; ExpiresAt ends its freshness;
	// RefreshAt is when a background refresh is due.
	FetchedAt, ExpiresAt, RefreshAt time.Time
}

// ErrUnknownKey is returned by KeyFor when the IdP (or a stored document
// fetched after the request began, or within the cooldown that followed
// such a fetch) was really consulted and holds no key for the kid. Every
// other error of KeyFor means the keys could not be had.
var ErrUnknownKey = errors.New("keyring: no key for kid")

// Reasons passed to the Fetcher.
const (
	ReasonLoad       = "load"        // no usable keys
	ReasonRefresh    = "refresh"     // due or expired
	ReasonUnknownKid = "unknown_kid" // a token's kid is not in the set
)

// FetchRequest is what a Fetcher is asked for.
type FetchRequest struct {
	Reason string
	// NoCache asks caches between here and the IdP for a fresh copy
	// (Cache-Control: no-cache): set on the unknown-kid refetch.
	NoCache bool
	// JWKSURI is the jwks_uri known from an earlier discovery (here or,
	// through the store, on another replica); "" means discover first,
	// unless the JWKS URL is configured.
	JWKSURI string
}

// Fetcher fetches an issuer's keys from the IdP and returns them with their
// times set.
type Fetcher func(ctx context.Context, req FetchRequest) (*Set, error)

// Options bound a ring (see authz.KeyOptions for their meaning).
type Options struct {
	MaxTTL, MaxStale   time.Duration
	Cooldown           time.Duration
	FetchTimeout       time.Duration
	RetryMin, RetryMax time.Duration
	LockWait           time.Duration
}

// Config configures a Ring.
type Config struct {
	// Issuer is the issuer URL; Source the discovery or JWKS URL the keys
	// come from; StoreKey the document's key in the store. A document is
	// bound to all three.
	Issuer, Source, StoreKey string
	// Pinned: the JWKS URL is configured, there is no discovery.
	Pinned  bool
	Fetch   Fetcher
	Now     func() time.Time
	Options Options
	Store   *Store   // nil: keys live in this process only
	Flights *Flights // counts this Validator's fetches
	// OnReject, if set, is called with the Reject… reason of every stored
	// document refused.
	OnReject func(reason string)
}

// Ring is one issuer's key lifecycle.
type Ring struct {
	c        Config
	cur      atomic.Pointer[Set]
	removed  atomic.Bool
	rejected atomic.Uint64

	mu         sync.Mutex
	g          gate
	fl         *flight // the one refresh in flight, nil when none
	jwksURI    string
	wake       chan struct{} // closed when the document is announced
	lastReject string
}

// New returns a ring with no keys.
func New(c Config) *Ring {
	if c.Flights == nil {
		c.Flights = NewFlights()
	}
	o := c.Options
	return &Ring{c: c, g: gate{cooldown: o.Cooldown, retryMin: o.RetryMin, retryMax: o.RetryMax}}
}

// Current returns the keys held, or nil.
func (r *Ring) Current() *Set { return r.cur.Load() }

// Remove marks the ring's issuer as removed: it adopts nothing from now on.
func (r *Ring) Remove() { r.removed.Store(true) }

// Removed reports whether Remove was called.
func (r *Ring) Removed() bool { return r.removed.Load() }

// Status is a ring's state, for health checks and metrics.
type Status struct {
	Set      *Set
	LastErr  error
	Rejected uint64 // stored documents refused
	// LastReject is the reason of the last refusal ("" if none).
	LastReject string
}

// Status returns the ring's state.
func (r *Ring) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Status{Set: r.cur.Load(), LastErr: r.g.lastErr, Rejected: r.rejected.Load(), LastReject: r.lastReject}
}

func (r *Ring) now() time.Time { return r.c.Now() }

func (r *Ring) usable(s *Set, now time.Time) bool {
	return s != nil && now.Before(s.ExpiresAt.Add(r.c.Options.MaxStale))
}

// Usable returns keys that may verify tokens now: fresh ones at once; stale
// ones (within MaxStale) at once, starting a refresh; otherwise it runs or
// joins a refresh and waits for it, or for ctx.
func (r *Ring) Usable(ctx context.Context) (*Set, error) { return r.usableAt(ctx, r.now()) }

func (r *Ring) usableAt(ctx context.Context, now time.Time) (*Set, error) {
	s := r.cur.Load()
	if s != nil {
		if now.Before(s.ExpiresAt) {
			return s, nil
		}
		if r.usable(s, now) {
			r.RefreshAsync(ReasonRefresh)
			return s, nil
		}
	}
	reason := ReasonLoad
	if s != nil {
		reason = ReasonRefresh
	}
	r.mu.Lock()
	fl := r.fl
	if fl == nil {
		fl = r.startLocked(ctx, reason, "", now)
	}
	r.mu.Unlock()
	res, err := fl.wait(ctx)
	if s := r.cur.Load(); r.usable(s, r.now()) {
		return s, nil
	}
	if err == nil {
		err = res.err
	}
	if err == nil {
		err = errors.New("no usable keys")
	}
	return nil, err
}

// KeyFor returns keys holding a key for kid (hasKid: the token named one)
// and alg (jws.KeySet.Has). When the keys held
// have none, the gate decides: within the cooldown that followed an
// unknown-kid refresh the answer comes without I/O (ErrUnknownKey after a
// refresh that consulted the IdP, an unavailability error after one that
// failed or could not ask); otherwise it runs one refresh (that concurrent
// requests join) and waits for it, or for ctx. An error other than
// ErrUnknownKey means the keys could not be had.
func (r *Ring) KeyFor(ctx context.Context, kid string, hasKid bool, alg jws.Alg) (*Set, error) {
	return r.KeyForAt(ctx, r.now(), kid, hasKid, alg)
}

// KeyForAt is KeyFor for a caller that read the clock already: now is the
// ring's clock at the start of the call.
func (r *Ring) KeyForAt(ctx context.Context, now time.Time, kid string, hasKid bool, alg jws.Alg) (*Set, error) {
	s, err := r.usableAt(ctx, now)
	if err != nil {
		return nil, err
	}
	if s.Keys.Has(kid, hasKid, alg) {
		return s, nil
	}
	started := r.now()
	for range 2 {
		r.mu.Lock()
		if cur := r.cur.Load(); cur != s && r.usable(cur, started) && cur.Keys.Has(kid, hasKid, alg) {
			r.mu.Unlock()
			return cur, nil
		}
		fl := r.fl
		if fl == nil {
			now := r.now()
			switch dec, cause := r.g.unknownKid(now); dec {
			case Unknown:
				r.mu.Unlock()
				return nil, ErrUnknownKey
			case Unavailable:
				r.mu.Unlock()
				return nil, cause
			}
			r.g.kidStarted(now)
			lookup := kid
			if !hasKid {
				lookup = "\x00" // no kid: never a key ID, so the refresh fetches
			}
			fl = r.startLocked(ctx, ReasonUnknownKid, lookup, started)
		}
		r.mu.Unlock()
		res, err := fl.wait(ctx)
		if err != nil {
			return nil, err // the caller gave up: an outage for it to retry
		}
		if res.set != nil && res.set.Keys.Has(kid, hasKid, alg) && r.usable(res.set, r.now()) {
			return res.set, nil
		}
		if fl.forKid {
			switch res.out {
			case consulted:
				return nil, ErrUnknownKey
			case failed:
				return nil, res.err
			}
			return nil, errNotConsulted
		}
		// Joined a refresh started for another reason: ask the gate again.
	}
	return nil, errNotConsulted
}

// RefreshAsync starts a refresh unless one is in flight.
func (r *Ring) RefreshAsync(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fl == nil {
		r.startLocked(context.Background(), reason, "", r.now())
	}
}

// RefreshIfDue starts a refresh when the keys are missing or due.
func (r *Ring) RefreshIfDue() {
	if s := r.cur.Load(); s == nil || !r.now().Before(s.RefreshAt) {
		reason := ReasonRefresh
		if s == nil {
			reason = ReasonLoad
		}
		r.RefreshAsync(reason)
	}
}

// Reload adopts the stored document if it is newer, without fetching, and
// wakes a refresh waiting for another replica's document. It is called
// when the store announces the document; an announcement shows the store
// answers, so it reads even during the store's failure back-off.
func (r *Ring) Reload(ctx context.Context) {
	if r.c.Store.enabled() {
		r.readStore(ctx)
	}
	r.mu.Lock()
	if r.wake != nil {
		close(r.wake)
		r.wake = nil
	}
	r.mu.Unlock()
}

// changed returns a channel closed at the next Reload.
func (r *Ring) changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wake == nil {
		r.wake = make(chan struct{})
	}
	return r.wake
}

// adopt installs s unless the keys held were fetched at the same time or
// later (force: s was just fetched from the IdP, and is what it serves now).
func (r *Ring) adopt(s *Set, force bool) {
	for {
		cur := r.cur.Load()
		if r.removed.Load() || (!force && cur != nil && !s.FetchedAt.After(cur.FetchedAt)) {
			return
		}
		if r.cur.CompareAndSwap(cur, s) {
			break
		}
	}
	r.mu.Lock()
	r.g.newSet()
	if !r.c.Pinned && s.JWKSURI != "" {
		r.jwksURI = s.JWKSURI
	}
	r.mu.Unlock()
}

// --- flights ---

type result struct {
	set   *Set
	out   outcome
	err   error
	until time.Time // a fleet-wide cooldown that ends later than ours
}

type flight struct {
	done   chan struct{}
	forKid bool
	res    result
}

func (f *flight) wait(ctx context.Context) (result, error) {
	select {
	case <-f.done:
		return f.res, nil
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
}

// flightTimeout bounds one refresh: a wait for another replica's fetch
// (LockWait) and a fetch of its own (FetchTimeout).
func (r *Ring) flightTimeout() time.Duration {
	return r.c.Options.FetchTimeout + r.c.Options.LockWait
}

// startLocked starts the ring's one refresh; r.mu is held. The refresh runs
// on a context of its own, bounded by flightTimeout and ended by Close (for
// refreshes started before it), that carries ctx's values (a trace span)
// but not its cancellation: one caller giving up does not end it for the
// others.
func (r *Ring) startLocked(ctx context.Context, reason, kid string, started time.Time) *flight {
	fl := &flight{done: make(chan struct{}), forKid: kid != ""}
	r.fl = fl
	fctx, end := r.c.Flights.begin(ctx, r.flightTimeout())
	go func() {
		defer end()
		res := r.refresh(fctx, reason, kid, started)
		r.mu.Lock()
		if fl.forKid {
			r.g.kidDone(res.out, res.err, res.until)
		}
		r.fl = nil
		r.mu.Unlock()
		fl.res = res
		close(fl.done)
	}()
	return fl
}

// Flights counts the refreshes in flight of one Validator, so that Close
// waits for them. Refreshes started after Close run uncounted and are not
// canceled: on-demand fetching keeps working.
type Flights struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// NewFlights returns an open Flights.
func NewFlights() *Flights {
	f := &Flights{}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	return f
}

func (f *Flights) begin(parent context.Context, timeout time.Duration) (context.Context, func()) {
	f.mu.Lock()
	counted := !f.closed
	if counted {
		f.wg.Add(1)
	}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	stop := func() bool { return false }
	if counted {
		stop = context.AfterFunc(f.ctx, cancel)
	}
	return ctx, func() {
		stop()
		cancel()
		if counted {
			f.wg.Done()
		}
	}
}

// Close ends the refreshes in flight and waits for them.
func (f *Flights) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
}

// --- the refresh ---

// storePoll is how often a replica waiting for another replica's fetch
// tries the fetch lock again; an announcement wakes it sooner.
const storePoll = 50 * time.Millisecond

// refresh brings the keys up to date: from the store when another replica
// already fetched, else from the IdP. It never drops the keys it has. With
// kid set it is an unknown-kid refresh (its cooldown already started).
//
// With a fleet coordinator, replicas coordinate through three locks per
// issuer, none of which a store writer can use to stop a rotation for more
// than one cooldown (a held lock with a longer ttl than this Validator
// would set is ignored):
//
//   - "fetch:<issuer>" is held while one replica reads the store, fetches
//     and stores; the others wait for it (up to LockWait), woken by its
//     announcement or trying the lock again, then read the store once.
//   - "cooldown:<issuer>" is taken, under the fetch lock, before an
//     unknown-kid fetch and never released: until it expires no replica
//     fetches for an unknown kid. A replica that finds it taken has just
//     read the document (or failure) of the fetch it stands for.
//   - "backoff:<issuer>" is taken the same way before a scheduled refresh
//     with usable keys in hand, and expires after RetryMin: an IdP that is
//     down sees one attempt per RetryMin from the fleet.
func (r *Ring) refresh(ctx context.Context, reason, kid string, started time.Time) result {
	forKid := kid != ""
	cur := r.cur.Load()
	var since time.Time
	if cur != nil {
		since = cur.FetchedAt
	}
	satisfied := func(s *Set) bool {
		switch {
		case s == nil:
			return false
		case forKid:
			return s.Keys.HasKid(kid)
		}
		return r.now().Before(s.RefreshAt)
	}
	// kidAnswered reports whether s, lacking kid, answers for the IdP: it
	// was fetched after the request began.
	kidAnswered := func(s *Set) bool { return forKid && s != nil && s.FetchedAt.After(started) }

	st := r.c.Store
	state := lockFailed
	var failedAt time.Time
	if st.usable() {
		release, st2, left, ok, read, fa := r.acquire(ctx, since, forKid, func(s *Set) bool { return satisfied(s) || kidAnswered(s) })
		state, failedAt = st2, fa
		if release != nil {
			defer release()
		}
		switch {
		case ok:
			return result{set: r.cur.Load(), out: consulted}
		case ctx.Err() != nil:
			return result{set: cur, out: unconsulted, err: ctx.Err()}
		case state == lockCooling:
			return r.cooling(r.cur.Load(), failedAt, left)
		case read && state != lockHeld:
			// Just read, then took the lock (or the store failed): the
			// document is known.
			cur = r.cur.Load()
		case read && state == lockHeld && !forKid && r.usable(cur, r.now()):
			return result{set: cur, out: unconsulted, err: errNotConsulted}
		case read:
			cur = r.cur.Load()
		case state != lockFailed:
			// We hold the lock, or ignore a forged one, or waited all of
			// LockWait for its holder: read the store once (the holder may
			// have stored without releasing yet).
			failedAt = r.readStore(ctx)
			cur = r.cur.Load()
			if satisfied(cur) || kidAnswered(cur) {
				return result{set: cur, out: consulted}
			}
			if state == lockHeld && !forKid && r.usable(cur, r.now()) {
				// Another replica held the fetch lock for all of
				// LockWait. Keep serving what we have rather than have
				// every waiting replica call an IdP that may be slow
				// already; the next scheduled refresh tries again.
				return result{set: cur, out: unconsulted, err: errNotConsulted}
			}
			// An unknown kid, or nothing to serve, and the holder is
			// slow or gone (a lock whose answer was lost expires only
			// after its ttl): go on without the lock, limited by the
			// cooldown.
		}
		// lockFailed: the store failed and is in back-off now: fetch
		// directly.
	}

	now := r.now()
	if forKid && state != lockFailed {
		_, cs, left := st.coord.tryLock(ctx, "cooldown:"+r.c.Issuer, r.c.Options.Cooldown)
		if cs == lockHeld {
			return r.cooling(cur, failedAt, left)
		}
	} else if !forKid && state != lockFailed && r.usable(cur, now) {
		_, bs, _ := st.coord.tryLock(ctx, "backoff:"+r.c.Issuer, r.c.Options.RetryMin)
		if bs == lockHeld {
			// Another replica tried within RetryMin and stored nothing
			// newer: its fetch failed. Keep serving.
			return result{set: cur, out: unconsulted, err: r.Status().LastErr}
		}
	}
	if !forKid {
		r.mu.Lock()
		ok, err := r.g.mayFetch(now)
		r.mu.Unlock()
		if !ok {
			return result{set: cur, out: failed, err: err}
		}
	}

	r.mu.Lock()
	req := FetchRequest{Reason: reason, NoCache: forKid, JWKSURI: r.jwksURI}
	r.mu.Unlock()
	if cur == nil && reason != ReasonLoad {
		req.Reason = ReasonLoad
	}
	set, err := r.c.Fetch(ctx, req)
	now = r.now()
	r.mu.Lock()
	if !errors.Is(err, context.Canceled) { // Close, not the IdP
		r.g.fetched(now, err)
	}
	if err != nil && !r.c.Pinned {
		r.jwksURI = "" // rediscover next time
	}
	r.mu.Unlock()
	if err != nil {
		if state == lockTaken && cur != nil && st.usable() {
			// Record the failure where the other replicas look, so that
			// an unknown kid gets "unavailable" on each of them too.
			r.store(ctx, cur, now)
		}
		return result{set: cur, out: failed, err: err}
	}
	r.adopt(set, true)
	if st.usable() {
		r.store(ctx, set, time.Time{})
	}
	return result{set: set, out: consulted}
}

// cooling is the result of an unknown-kid refresh that found the fleet's
// cooldown lock held (for left more): another replica fetched for an
// unknown kid within the cooldown, and what it learnt is in the document
// just read — keys (consulted), or a failure it recorded (failed).
func (r *Ring) cooling(cur *Set, failedAt time.Time, left time.Duration) result {
	until := r.now().Add(left)
	if !failedAt.IsZero() && (cur == nil || !failedAt.Before(cur.FetchedAt)) {
		return result{set: cur, out: failed, err: errFleetFailed, until: until}
	}
	return result{set: cur, out: consulted, until: until}
}

// errFleetFailed is the cause of Unavailable when another replica's
// unknown-kid fetch failed within the cooldown.
var errFleetFailed = errors.New("keys not refreshed: another replica's fetch from the IdP failed within the cooldown")

// acquire takes the issuer's fetch lock, or waits for the replica that
// holds it, for at most LockWait. While it waits it probes the lock every
// storePoll (no document is read), and looks at the keys whenever the store
// announces the document. Once the holder releases the lock it reads the
// store, once per refresh, so that every waiting replica picks up the
// holder's document at once instead of taking the lock in turn; it takes
// the lock only if that document does not do (done). For an unknown kid
// (forKid) it also stops when the fleet's cooldown lock is held: another
// replica fetched within the cooldown, and its document is what was just
// read (st is then lockCooling, left the cooldown's rest).
//
// It returns ok when keys that do arrived; read when it read the store
// (failedAt is then what the document recorded).
func (r *Ring) acquire(ctx context.Context, since time.Time, forKid bool, done func(*Set) bool) (release func(), st lockState, left time.Duration, ok, read bool, failedAt time.Time) {
	coord := r.c.Store.coord
	name, ttl := "fetch:"+r.c.Issuer, r.flightTimeout()+time.Second
	var deadline <-chan time.Time
	var tick *time.Ticker
	for {
		wake := r.changed()
		release, st, _ := coord.tryLock(ctx, name, ttl)
		if st != lockHeld {
			return release, st, 0, false, read, failedAt
		}
		if deadline == nil {
			t := time.NewTimer(r.c.Options.LockWait)
			defer t.Stop()
			deadline = t.C
			tick = time.NewTicker(storePoll)
			defer tick.Stop()
		}
		for free := false; !free; {
			select {
			case <-ctx.Done():
				return nil, lockHeld, 0, false, read, failedAt
			case <-deadline:
				return nil, lockHeld, 0, false, read, failedAt
			case <-wake:
				wake = r.changed()
			case <-tick.C:
			}
			if s := r.cur.Load(); s != nil && s.FetchedAt.After(since) && done(s) {
				return nil, lockHeld, 0, true, read, failedAt // adopted from an announcement
			}
			ps, _ := coord.probe(ctx, name, ttl)
			free = ps != lockHeld
		}
		if read {
			continue // read once per refresh: now only try the lock
		}
		failedAt, read = r.readStore(ctx), true
		if done(r.cur.Load()) {
			return nil, lockHeld, 0, true, read, failedAt
		}
		if forKid {
			if cs, left := coord.probe(ctx, "cooldown:"+r.c.Issuer, r.c.Options.Cooldown); cs == lockHeld {
				return nil, lockCooling, left, false, read, failedAt
			}
		}
	}
}

// readStore reads the issuer's document once, authenticates it before
// parsing, bounds it, and adopts it when it is newer than the keys held. It
// returns the time of the last failed fetch the document records. A
// document refused is counted and never adopted: the refresh goes on as if
// the store were empty.
func (r *Ring) readStore(ctx context.Context) (failedAt time.Time) {
	st := r.c.Store
	data, err := st.get(ctx, r.c.StoreKey)
	if err != nil || data == nil {
		return time.Time{}
	}
	e, err := open(data, r.c.StoreKey, st.secrets, st.maxDoc)
	now := r.now()
	if err == nil {
		err = e.check(r.c.Issuer, r.c.Source, now, r.c.Options.MaxTTL)
	}
	if err != nil {
		r.refused(RejectReason(err))
		return time.Time{}
	}
	failedAt = fromMillis(e.FailedAt)
	if cur := r.cur.Load(); cur != nil && cur.FetchedAt.UnixMilli() >= e.FetchedAt {
		return failedAt // nothing newer: skip parsing
	}
	keys, err := jws.ParseJWKS(e.JWKS)
	if err != nil {
		r.refused(RejectKeys)
		return failedAt
	}
	fetched, expires := time.UnixMilli(e.FetchedAt), time.UnixMilli(e.ExpiresAt)
	s := &Set{
		Keys: keys, Raw: e.JWKS, JWKSURI: e.JWKSURI,
		FetchedAt: fetched, ExpiresAt: expires,
		RefreshAt: fetched.Add(expires.Sub(fetched) * 4 / 5),
	}
	if !r.usable(s, now) {
		return failedAt
	}
	if r.c.Pinned {
		s.JWKSURI = ""
	}
	r.adopt(s, false)
	return failedAt
}

func (r *Ring) refused(reason string) {
	r.rejected.Add(1)
	r.mu.Lock()
	r.lastReject = reason
	r.mu.Unlock()
	if r.c.OnReject != nil {
		r.c.OnReject(reason)
	}
}

// store writes s (with the time of a failed fetch, if any) to the store.
// Store failures are not fatal: the keys are in process already.
func (r *Ring) store(ctx context.Context, s *Set, failedAt time.Time) {
	ttl := s.ExpiresAt.Sub(r.now()) + r.c.Options.MaxStale
	if ttl <= 0 {
		return // a ttl of zero would mean no expiry
	}
	e := &envelope{
		V: envelopeV, Issuer: r.c.Issuer, Source: r.c.Source,
		FetchedAt: s.FetchedAt.UnixMilli(), ExpiresAt: s.ExpiresAt.UnixMilli(),
		JWKSURI: s.JWKSURI, JWKS: s.Raw,
	}
	if !failedAt.IsZero() {
		e.FailedAt = failedAt.UnixMilli()
	}
	_ = r.c.Store.put(ctx, r.c.StoreKey, e, ttl)
}
