package authzotel

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/jwtguard/jwtguard/authz"
)

// Observe reports v's state through the observed instruments, read at
// each metric collection: MetricKeysAge and MetricKeys per issuer (from
// v.Status; an issuer holding no keys reports 0 keys and no age), and
// MetricTokenCacheLookups (from v.TokenCacheStats; nothing until the cache
// has been looked up at least once, so nothing without WithTokenCache).
//
// It also learns the Names of v's issuers, which the validation metrics
// and spans use for rejected tokens (a *authz.ValidationError names its
// issuer by URL). Call it right after authz.New. Call the returned function
// to stop observing v.
//
// Observe each Validator with its own Instruments (see WithAttributes to
// tell them apart): two Validators observed by one Instruments would report
// the same series.
func (in *Instruments) Observe(v *authz.Validator) (unregister func() error, err error) {
	if v == nil {
		return nil, errors.New("otel: Observe: nil Validator")
	}
	in.observedMu.Lock()
	if in.observed == nil {
		in.observed = map[*authz.Validator]bool{}
	}
	if in.observed[v] {
		// Observed already (Hooks attaches itself): observing twice would
		// report every gauge twice.
		in.observedMu.Unlock()
		return func() error { return nil }, nil
	}
	in.observed[v] = true
	in.observedMu.Unlock()
	for _, s := range v.Status() {
		in.learn(s.URL, s.Name)
	}
	reg, err := in.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		now := time.Now()
		for _, s := range v.Status() {
			in.learn(s.URL, s.Name) // issuers added at run time
			m := in.measurement(setKey{kind: setIssuer, issuer: boundedIssuer(s.Name)})
			o.ObserveInt64(in.keys, int64(s.Keys), m.observe...)
			if !s.FetchedAt.IsZero() {
				o.ObserveFloat64(in.keysAge, max(now.Sub(s.FetchedAt).Seconds(), 0), m.observe...)
			}
		}
		if hits, misses := v.TokenCacheStats(); hits+misses > 0 {
			o.ObserveInt64(in.cacheLookups, int64(hits), in.measurement(setKey{kind: setCache, aux: "hit"}).observe...)
			o.ObserveInt64(in.cacheLookups, int64(misses), in.measurement(setKey{kind: setCache, aux: "miss"}).observe...)
		}
		return nil
	}, in.keysAge, in.keys, in.cacheLookups)
	if err != nil {
		in.observedMu.Lock()
		delete(in.observed, v)
		in.observedMu.Unlock()
		return nil, err
	}
	return func() error {
		in.observedMu.Lock()
		delete(in.observed, v)
		in.observedMu.Unlock()
		return reg.Unregister()
	}, nil
}
