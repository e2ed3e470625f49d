package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/keyring"
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
	// UnknownKeyTTL is kept for compatibility and has no effect: a kid that
	// was looked up and not found is remembered only until the cooldown
	// that followed its lookup ends, or a new key set arrives, and only
	// when that lookup really consulted the IdP. A negative value is still
	// an error.
	//
	// Deprecated: set UnknownKeyCooldown instead; this field does nothing.
	UnknownKeyTTL time.Duration
	// FetchTimeout bounds one fetch: discovery and JWKS [10s]. A refresh
	// that first waits for another replica's fetch is bounded by
	// FetchTimeout plus LockWait. A request is bounded by its ctx
	// whatever these say.
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
		if *d == 0 {
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
	if o.MaxDocumentSize == 0 {
		o.MaxDocumentSize = defaultMaxDocumentSize
	}
	return o
}

// check reports every invalid or contradictory field of o, which has its
// defaults applied; set is o as the user gave it.
func (o KeyOptions) check(set KeyOptions) error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"MinTTL", set.MinTTL}, {"MaxTTL", set.MaxTTL}, {"DefaultTTL", set.DefaultTTL},
		{"MaxStale", set.MaxStale}, {"UnknownKeyCooldown", set.UnknownKeyCooldown},
		{"UnknownKeyTTL", set.UnknownKeyTTL}, {"FetchTimeout", set.FetchTimeout},
		{"RetryMin", set.RetryMin}, {"RetryMax", set.RetryMax},
		{"StoreTimeout", set.StoreTimeout}, {"LockWait", set.LockWait},
	} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("KeyOptions.%s %v is negative", f.name, f.d))
		}
	}
	if set.MaxDocumentSize < 0 {
		errs = append(errs, fmt.Errorf("KeyOptions.MaxDocumentSize %d is negative", set.MaxDocumentSize))
	}
	if o.MinTTL > o.MaxTTL {
		errs = append(errs, fmt.Errorf("KeyOptions.MinTTL %v is longer than MaxTTL %v", o.MinTTL, o.MaxTTL))
	}
	if set.DefaultTTL > 0 && (o.DefaultTTL < o.MinTTL || o.DefaultTTL > o.MaxTTL) {
		errs = append(errs, fmt.Errorf("KeyOptions.DefaultTTL %v is outside [MinTTL %v, MaxTTL %v]", o.DefaultTTL, o.MinTTL, o.MaxTTL))
	}
	if o.RetryMax < o.RetryMin {
		errs = append(errs, fmt.Errorf("KeyOptions.RetryMax %v is shorter than RetryMin %v", o.RetryMax, o.RetryMin))
	}
	return errors.Join(errs...)
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

// Option configures a Validator. An option given an invalid value makes
// New fail; New reports every such error, joined.
//
// (Option stays a function type, as in earlier releases, rather than
// otelhttp's interface: options record their errors on the Validator being
// built, and New returns them all.)
type Option func(*Validator)

// optionError records a configuration error for New to return.
func (v *Validator) optionError(err error) { v.optErrs = append(v.optErrs, err) }

// WithStore sets the key store fetched documents are shared through. Without
// it, each Validator keeps its parsed keys in process only. Pass a
// keystore/memory Store to share them between Validators of one process, or
// a keystore/redisstore Store to share them across replicas. A store that other
// processes can write (one whose keystore.Shared reports true, such as the
// Redis store) needs WithStoreSecret, or InsecureStoreWithoutSecret.
func WithStore(s keystore.Store) Option {
	return func(v *Validator) {
		if s == nil {
			v.optionError(errors.New("WithStore: nil store"))
			return
		}
		v.store = s
	}
}

// WithStoreSecret sets the secrets that authenticate the documents shared
// through the key store: every document written carries an HMAC-SHA-256
// over its exact bytes (bound to the issuer's store key) under the first
// secret, and a document read is used only if its MAC was made with one of
// them, checked before the document is parsed. A document without a valid
// MAC is treated as missing: the keys are fetched from the IdP, the
// refusal is counted (IssuerStatus.RejectedDocuments, Hooks.StoreRejected)
// and the document is never adopted.
//
// Every replica of a fleet must accept the secret that signs. To rotate
// without a gap, deploy three times: (old, new) — replicas sign with old and
// accept both; then (new, old) — they sign with new; then (new) alone (see
// docs/security.md). Each secret must be at least 32 bytes of random data;
// use one per environment.
func WithStoreSecret(secrets ...[]byte) Option {
	return func(v *Validator) {
		if err := keyring.CheckSecrets(secrets); err != nil {
			v.optionError(fmt.Errorf("WithStoreSecret: %w", err))
			return
		}
		v.secrets = nil
		for _, s := range secrets {
			v.secrets = append(v.secrets, append([]byte(nil), s...))
		}
	}
}

// InsecureStoreWithoutSecret lets a Validator share keys through a store
// that other processes can write (keystore.Shared) without WithStoreSecret.
// Whoever can write that store can then get any key accepted by every
// replica. Use it only where the store is as trusted as the process
// itself, and say why next to the call.
func InsecureStoreWithoutSecret() Option {
	return func(v *Validator) { v.insecureStore = true }
}

// WithHTTPClient sets the client used for discovery and JWKS fetches. Its
// own timeouts apply in addition to KeyOptions.FetchTimeout. jwtguard's
// redirect rule (https only, plain http to loopback hosts excepted, never
// from https to http, at most 3) applies on top of the client's own
// CheckRedirect. Close leaves the client as it is.
func WithHTTPClient(c *http.Client) Option {
	return func(v *Validator) {
		if c == nil {
			v.optionError(errors.New("WithHTTPClient: nil client"))
			return
		}
		v.client = c
	}
}

// defaultMaxDocumentSize is KeyOptions.MaxDocumentSize's default.
const defaultMaxDocumentSize = 1 << 20

// WithUserAgent sets the User-Agent of every discovery and key fetch
// (default "jwtguard/<Version>"): some IdPs' CDNs refuse default client
// agents, and an IdP may ask its clients to name themselves. It must be
// printable ASCII, at most 256 bytes.
func WithUserAgent(ua string) Option {
	return func(v *Validator) {
		if ua == "" || len(ua) > 256 || strings.IndexFunc(ua, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			v.optionError(errors.New("WithUserAgent: empty, over 256 bytes, or not printable ASCII"))
			return
		}
		v.userAgent = ua
	}
}

// WithClock sets the clock used for every time check (tests).
func WithClock(now func() time.Time) Option {
	return func(v *Validator) {
		if now == nil {
			v.optionError(errors.New("WithClock: nil clock"))
			return
		}
		v.now = now
	}
}

// WithMaxTokenSize caps the length of an accepted token in bytes
// [DefaultMaxTokenSize].
func WithMaxTokenSize(n int) Option {
	return func(v *Validator) {
		if n <= 0 {
			v.optionError(fmt.Errorf("WithMaxTokenSize: %d is not positive", n))
			return
		}
		v.maxTokenSize = n
	}
}

// WithKeyOptions sets how keys are fetched, cached and refreshed. A
// negative duration or size, or a contradiction (MinTTL longer than
// MaxTTL, RetryMax shorter than RetryMin, DefaultTTL outside them), makes
// New fail.
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
	// StoreRejected is called for every document read from the key store
	// and refused (see WithStoreSecret), from the goroutine that read it.
	// It must return quickly.
	StoreRejected func(StoreRejection)
	// Attach is called once by New with the Validator it made, after every
	// option applied, for integrations that observe the Validator itself
	// (authzotel's key-age and cache gauges); the function it returns, if
	// not nil, is called by Close. So one WithHooks wires an integration
	// whole.
	Attach func(*Validator) (detach func())
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
		if h.StoreRejected != nil {
			v.rejectHooks = append(v.rejectHooks, h.StoreRejected)
		}
		if h.Attach != nil {
			v.attachHooks = append(v.attachHooks, h.Attach)
		}
	}
}
