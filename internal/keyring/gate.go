package keyring

import (
	"errors"
	"time"
)

// outcome is what the last unknown-kid refresh learnt.
type outcome int

const (
	// consulted: the IdP was asked (here, or by another replica within the
	// cooldown, whose document this replica read) and answered. A kid the
	// key set lacks is unknown.
	consulted outcome = iota + 1
	// failed: the IdP was asked and did not answer usefully. A kid the key
	// set lacks may be good: the answer is "keys unavailable".
	failed
	// unconsulted: no one asked the IdP (the store was busy, a lock wait
	// ran out). The answer is "keys unavailable", and nothing is remembered
	// past the cooldown.
	unconsulted
)

// Decision is the gate's answer for a kid the key set lacks.
type Decision int

const (
	// Refresh: run an unknown-kid refresh now.
	Refresh Decision = iota
	// Unknown: within the cooldown after a refresh that consulted the IdP
	// (or after a new key set arrived): the kid is unknown, without I/O.
	Unknown
	// Unavailable: within the cooldown after a refresh that failed or
	// could not ask the IdP: answer "keys unavailable", without I/O.
	Unavailable
)

func (d Decision) String() string {
	switch d {
	case Refresh:
		return "refresh"
	case Unknown:
		return "unknown"
	case Unavailable:
		return "unavailable"
	}
	return "?"
}

// gate decides, on the ring's clock, when an unknown kid may cause a
// refresh and when a fetch may be attempted at all. It holds no kids: a
// kid is "remembered" exactly while the cooldown that followed the refresh
// which missed it lasts, and forgotten when a new key set arrives, so a
// flood of random kids costs no memory. Its methods are called with the
// ring's mutex held; it has no lock of its own.
type gate struct {
	cooldown           time.Duration
	retryMin, retryMax time.Duration

	kidUntil time.Time // no unknown-kid refresh before this
	kidLast  outcome   // what the last one learnt (0: none yet)
	kidErr   error     // its error when it failed

	failures int       // consecutive failed fetches
	retryAt  time.Time // no scheduled fetch before this (back-off)
	lastErr  error     // last fetch error, nil after a success
}

// unknownKid decides what a kid missing from the key set gets at now.
func (g *gate) unknownKid(now time.Time) (Decision, error) {
	if g.kidLast == 0 || !now.Before(g.kidUntil) {
		return Refresh, nil
	}
	switch g.kidLast {
	case consulted:
		return Unknown, nil
	case failed:
		return Unavailable, g.kidErr
	}
	return Unavailable, errNotConsulted
}

// errNotConsulted is the cause of Unavailable when no one asked the IdP.
var errNotConsulted = errors.New("keys not refreshed: the IdP could not be asked within the cooldown")

// kidStarted starts the cooldown of an unknown-kid refresh at now.
func (g *gate) kidStarted(now time.Time) {
	g.kidUntil = now.Add(g.cooldown)
	g.kidLast = unconsulted
	g.kidErr = nil
}

// kidDone records what the unknown-kid refresh learnt. until, when later
// than the cooldown's end, extends it (another replica's fleet-wide
// cooldown that ends later than this replica's own).
func (g *gate) kidDone(o outcome, err error, until time.Time) {
	g.kidLast, g.kidErr = o, err
	if until.After(g.kidUntil) {
		g.kidUntil = until
	}
}

// newSet records that a new key set arrived: any kid remembered as missing
// is looked up in it, and a failure before it no longer stands.
func (g *gate) newSet() {
	if g.kidLast != 0 {
		g.kidLast, g.kidErr = consulted, nil
	}
}

// mayFetch reports whether a scheduled or load fetch may run at now, and
// if not, the error that stopped the last one.
func (g *gate) mayFetch(now time.Time) (bool, error) {
	if now.Before(g.retryAt) {
		err := g.lastErr
		if err == nil {
			err = errors.New("fetch back-off")
		}
		return false, err
	}
	return true, nil
}

// fetched records a fetch's result at now: success clears the back-off;
// failure doubles it within [retryMin, retryMax].
func (g *gate) fetched(now time.Time, err error) {
	if err == nil {
		g.failures, g.retryAt, g.lastErr = 0, time.Time{}, nil
		return
	}
	g.failures++
	backoff := g.retryMin << min(g.failures-1, 16)
	if backoff > g.retryMax || backoff <= 0 {
		backoff = g.retryMax
	}
	g.retryAt = now.Add(backoff)
	g.lastErr = err
}
