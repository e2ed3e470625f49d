package authz

import (
	"context"
	"net/http"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

// DefaultMaxTokenSize is the default cap on a token's length in bytes:
// large enough for a Descope token carrying many tenants, small enough that
// parsing an oversized token costs nothing.
const DefaultMaxTokenSize = 16 << 10

// KeyOptions bound how keys are fetched, cached and refreshed. A zero field
// takes its default, shown in brackets.
type KeyOptions struct {
	// MinTTL is the floor on a JWKS's freshness lifetime, whatever its
	// Cache-Control says [1m].
	MinTTL time.Duration
	// MaxTTL is the ceiling on it [24h].
	MaxTTL time.Duration
	// DefaultTTL applies when the response has no usable max-age [15m].
	DefaultTTL time.Duration
	// MaxStale is how long past its freshness lifetime a key set keeps
	// serving while the IdP cannot be reached [6h]. After it, or with
	// nothing cached, Validate returns ErrKeysUnavailable.
	MaxStale time.Duration
	// UnknownKeyCooldown is the least time between two fetches triggered
	// by a token with an unknown kid, per issuer [5s]. Concurrent requests
	// share one fetch.
	UnknownKeyCooldown time.Duration
	// UnknownKeyTTL is how long a kid that was looked up and not found is
	// remembered, so repeats are rejected without a fetch [1m].
	UnknownKeyTTL time.Duration
	// FetchTimeout bounds one refresh: discovery, JWKS fetch and any wait
	// for another replica's fetch [10s].
	FetchTimeout time.Duration
	// MaxDocumentSize caps a discovery or JWKS response body [1 MiB].
	MaxDocumentSize int64
	// RetryMin and RetryMax bound the exponential back-off after a failed
	// fetch [1s, 1m]: no fetch is attempted for an issuer during it. With a
	// keystore.Locker store, RetryMin also spaces the whole fleet's
	// scheduled refresh attempts (one replica per RetryMin).
	RetryMin, RetryMax time.Duration
	// StoreTimeout bounds each call to the key store [500ms]. A store that
	// fails is skipped for a back-off period (4 × StoreTimeout, within
	// [RetryMin, RetryMax]) and keys are fetched directly meanwhile.
	StoreTimeout time.Duration
	// LockWait is how long a replica waits for another replica's fetch
	// (coordinated through a keystore.Locker) to store its document or
	// release the lock [3s]. After it, a replica with usable keys keeps
	// serving them; one with none fetches itself.
	LockWait time.Duration
}

func (o KeyOptions) withDefaults() KeyOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.MinTTL, time.Minute)
	def(&o.MaxTTL, 24*time.Hour)
	def(&o.DefaultTTL, 15*time.Minute)
	def(&o.MaxStale, 6*time.Hour)
	def(&o.UnknownKeyCooldown, 5*time.Second)
	def(&o.UnknownKeyTTL, time.Minute)
	def(&o.FetchTimeout, 10*time.Second)
	def(&o.RetryMin, time.Second)
	def(&o.RetryMax, time.Minute)
	def(&o.StoreTimeout, 500*time.Millisecond)
	def(&o.LockWait, 3*time.Second)
	if o.MaxDocumentSize <= 0 {
		o.MaxDocumentSize = 1 << 20
	}
	if o.MaxTTL < o.MinTTL {
		o.MaxTTL = o.MinTTL
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	return o
}

// ttl applies the floor, ceiling and default to a response's max-age.
func (o KeyOptions) ttl(age time.Duration) time.Duration {
	switch {
	case age < 0: // no-cache, no-store
		return o.MinTTL
	case age == 0:
		age = o.DefaultTTL
	}
	if age < o.MinTTL {
		age = o.MinTTL
	}
	if age > o.MaxTTL {
		age = o.MaxTTL
	}
	return age
}

// Option configures a Validator.
type Option func(*Validator)

// WithStore sets the key store fetched documents are shared through. Without
// it, each Validator keeps its parsed keys in process only. Pass a
// keystore/memory Store to share them between Validators of one process, or
// a keystore/redis Store to share them across replicas.
func WithStore(s keystore.Store) Option { return func(v *Validator) { v.store = s } }

// WithHTTPClient sets the client used for discovery and JWKS fetches. Its
// own timeouts apply in addition to KeyOptions.FetchTimeout.
func WithHTTPClient(c *http.Client) Option { return func(v *Validator) { v.client = c } }

// WithClock sets the clock used for every time check (tests).
func WithClock(now func() time.Time) Option { return func(v *Validator) { v.now = now } }

// WithMaxTokenSize caps the length of an accepted token in bytes
// [DefaultMaxTokenSize].
func WithMaxTokenSize(n int) Option { return func(v *Validator) { v.maxTokenSize = n } }

// WithKeyOptions sets how keys are fetched, cached and refreshed.
func WithKeyOptions(o KeyOptions) Option { return func(v *Validator) { v.keyOpts = o } }

// WithoutBackground disables the background refresh loop and the initial
// warm-up: keys are then fetched only when a request needs them. For tests
// and short-lived programs.
func WithoutBackground() Option { return func(v *Validator) { v.noBackground = true } }

// ValidateFunc is the signature of Validate, wrapped by Hooks.Validate.
type ValidateFunc func(ctx context.Context, token string) (*Claims, error)

// FetchInfo describes one key fetch, for Hooks.Fetch.
type FetchInfo struct {
	// Issuer is the configured Name of the issuer.
	Issuer string
	// IssuerURL is its URL.
	IssuerURL string
	// Reason is why keys are fetched: "load" (none usable), "refresh"
	// (due or expired) or "unknown_kid".
	Reason string
}

// FetchResult describes a finished key fetch.
type FetchResult struct {
	// URL is the JWKS URL fetched.
	URL string
	// Keys is the number of usable keys, Ignored the number skipped.
	Keys, Ignored int
	// Bytes is the size of the JWKS document.
	Bytes int
	// TTL is the freshness lifetime granted to the keys.
	TTL time.Duration
}

// FetchFunc performs one key fetch, wrapped by Hooks.Fetch.
type FetchFunc func(ctx context.Context, info FetchInfo) (FetchResult, error)

// Hooks wrap the Validator's work, for tracing, metrics and logs, the way
// go-redis hooks do: each receives the next function and returns one that
// calls it. The Validate hook receives the raw token and, on success, the
// full *Claims: a hook must not record either. What is safe to record is
// the issuer name, key ID, algorithm, outcome and reason code (from Claims
// and *ValidationError). With WithTokenCache, cache hits pass through the
// Validate hook too (see TokenCacheStats for hit counts).
type Hooks struct {
	// Validate wraps every call of Validate.
	Validate func(next ValidateFunc) ValidateFunc
	// Fetch wraps every key fetch from an issuer (discovery and JWKS).
	Fetch func(next FetchFunc) FetchFunc
}

// WithHooks adds hooks. Several WithHooks apply in order: the first is the
// outermost.
func WithHooks(h Hooks) Option {
	return func(v *Validator) {
		if h.Validate != nil {
			v.validateHooks = append(v.validateHooks, h.Validate)
		}
		if h.Fetch != nil {
			v.fetchHooks = append(v.fetchHooks, h.Fetch)
		}
	}
}
