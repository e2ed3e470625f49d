package authz

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/jwtguard/jwtguard/internal/jws"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/internal/keyring"
	"github.com/jwtguard/jwtguard/keystore"
)

// Validator checks bearer access tokens from a set of trusted issuers. It is
// safe for concurrent use; create one per process (or per set of issuers)
// and share it. Close it to stop its background refresh.
type Validator struct {
	table   atomic.Pointer[issuerTable]
	tableMu sync.Mutex

	store        keystore.Store
	client       *http.Client
	now          func() time.Time
	maxTokenSize int
	keyOpts      KeyOptions
	noBackground bool

	cache         *tokenCache
	validateHooks []func(ValidateFunc) ValidateFunc
	fetchHooks    []func(FetchFunc) FetchFunc
	rejectHooks   []func(StoreRejection)
	validate      ValidateFunc

	secrets       [][]byte // WithStoreSecret
	insecureStore bool     // InsecureStoreWithoutSecret
	optErrs       []error  // invalid options, reported by New
	ownClient     bool     // client made by New: Close closes its idle connections
	fetchClient   *http.Client

	keys    *keyring.Store   // the store, wrapped for the rings
	flights *keyring.Flights // fetches in flight; Close waits for them
	bgCtx   context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  atomic.Bool
}

// issuerTable maps every accepted iss value to its issuer. It is replaced
// whole when issuers change, so readers never lock.
type issuerTable struct {
	byIss      map[string]*issuerState
	byStoreKey map[string]*issuerState
	all        []*issuerState
}

// New returns a Validator for the given issuers. It checks the configuration
// and fails on anything unsafe or inconsistent (no audience, an HMAC
// algorithm, plain-http key URLs to non-loopback hosts, two issuers sharing
// an iss value). Unless WithoutBackground is given, it starts fetching every
// issuer's keys in the background and refreshes them before they expire;
// it does not wait for them (see Warm).
func New(issuers []Issuer, opts ...Option) (*Validator, error) {
	v := &Validator{now: time.Now, maxTokenSize: DefaultMaxTokenSize}
	for i, o := range opts {
		if o == nil {
			v.optionError(fmt.Errorf("option %d is nil", i))
			continue
		}
		o(v)
	}
	set := v.keyOpts
	v.keyOpts = v.keyOpts.withDefaults()
	if err := v.keyOpts.check(set); err != nil {
		v.optionError(err)
	}
	if sh, ok := v.store.(keystore.Shared); ok && sh.Shared() && len(v.secrets) == 0 && !v.insecureStore {
		v.optionError(fmt.Errorf("the key store %T can be written by other processes: give WithStoreSecret (or, knowingly, InsecureStoreWithoutSecret)", v.store))
	}
	if len(v.secrets) > 0 && v.store == nil {
		v.optionError(errors.New("WithStoreSecret without WithStore"))
	}
	t := &issuerTable{byIss: map[string]*issuerState{}, byStoreKey: map[string]*issuerState{}}
	for _, is := range issuers {
		if err := t.add(is); err != nil {
			v.optionError(err)
		}
	}
	if len(v.optErrs) > 0 {
		errs := make([]error, len(v.optErrs))
		for i, err := range v.optErrs {
			errs[i] = err
			if !strings.HasPrefix(err.Error(), "authz: ") {
				errs[i] = fmt.Errorf("authz: %w", err)
			}
		}
		return nil, errors.Join(errs...)
	}
	if v.cache != nil {
		v.cache.maxStale = v.keyOpts.MaxStale
	}
	if v.client == nil {
		v.client, v.ownClient = defaultHTTPClient(), true
	}
	v.fetchClient = redirectChecked(v.client)
	v.keys = keyring.NewStore(keyring.StoreConfig{
		Store: v.store, Secrets: v.secrets, Now: v.now,
		Timeout: v.keyOpts.StoreTimeout, Backoff: v.keyOpts.storeBackoff(),
		MaxDocumentSize: v.keyOpts.MaxDocumentSize,
	})
	v.flights = keyring.NewFlights()
	for _, st := range t.all {
		v.newRing(st)
	}
	v.table.Store(t)

	v.validate = v.validateToken
	for i := len(v.validateHooks) - 1; i >= 0; i-- {
		v.validate = v.validateHooks[i](v.validate)
	}
	v.bgCtx, v.cancel = context.WithCancel(context.Background())
	if !v.noBackground {
		v.wg.Add(1)
		go v.background()
	}
	return v, nil
}

func (t *issuerTable) add(is Issuer) error {
	cfg, err := is.compile()
	if err != nil {
		return err
	}
	st := newIssuerState(cfg)
	for _, iss := range cfg.issuers() {
		if iss == "" {
			return fmt.Errorf("authz: issuer %q: empty alias", cfg.Name)
		}
		if other, dup := t.byIss[iss]; dup {
			return fmt.Errorf("authz: issuer %q: iss %q is already served by issuer %q", cfg.Name, iss, other.cfg.Name)
		}
		t.byIss[iss] = st
	}
	t.byStoreKey[st.storeKey] = st
	t.all = append(t.all, st)
	return nil
}

func (t *issuerTable) clone() *issuerTable {
	n := &issuerTable{byIss: make(map[string]*issuerState, len(t.byIss)), byStoreKey: make(map[string]*issuerState, len(t.byStoreKey))}
	for k, v := range t.byIss {
		n.byIss[k] = v
	}
	for k, v := range t.byStoreKey {
		n.byStoreKey[k] = v
	}
	n.all = append([]*issuerState(nil), t.all...)
	return n
}

// AddIssuer adds an issuer at run time. Requests in flight are not
// disturbed; the new issuer's keys are fetched in the background.
func (v *Validator) AddIssuer(is Issuer) error {
	v.tableMu.Lock()
	defer v.tableMu.Unlock()
	t := v.table.Load().clone()
	if err := t.add(is); err != nil {
		return err
	}
	st := t.all[len(t.all)-1]
	v.newRing(st) // a ring of its own, even if an issuer with its URL was removed
	v.table.Store(t)
	if !v.noBackground && !v.closed.Load() {
		st.ring.RefreshAsync(keyring.ReasonLoad)
	}
	return nil
}

// RemoveIssuer removes the issuer whose URL is url. Tokens of that issuer
// are rejected (ErrUnknownIssuer) from the moment it returns. It reports
// whether such an issuer was configured.
func (v *Validator) RemoveIssuer(url string) bool {
	v.tableMu.Lock()
	defer v.tableMu.Unlock()
	old := v.table.Load()
	st, ok := old.byIss[url]
	if !ok || st.cfg.URL != url {
		return false
	}
	t := &issuerTable{byIss: map[string]*issuerState{}, byStoreKey: map[string]*issuerState{}}
	for _, s := range old.all {
		if s == st {
			continue
		}
		for _, iss := range s.cfg.issuers() {
			t.byIss[iss] = s
		}
		t.byStoreKey[s.storeKey] = s
		t.all = append(t.all, s)
	}
	st.ring.Remove()
	v.table.Store(t)
	return true
}

// Close stops the background refresh and the fetches in flight, and waits
// for them; it closes the idle connections of the HTTP client New made
// (never one given with WithHTTPClient). Validate keeps working after
// Close with the keys it has, fetching on demand.
func (v *Validator) Close() error {
	if v.closed.CompareAndSwap(false, true) {
		v.cancel()
		v.wg.Wait()
		v.flights.Close()
		if v.ownClient {
			v.client.CloseIdleConnections()
		}
	}
	return nil
}

// Validate checks token and returns its claims, or a *ValidationError that
// matches one of the package's sentinels. In order:
//
//  1. size cap and compact JWS form (three base64url parts, JSON objects);
//  2. header: alg is an asymmetric algorithm, no unknown crit;
//  3. iss selects the one configured issuer it names (unverified peek);
//  4. that issuer's algorithm list and typ; exp (required), nbf, iat with
//     leeway; aud any-of — cheap checks before any key work;
//  5. the key for kid from that issuer's keys only, refreshing once (per
//     cooldown) when the kid is unknown, bounded by ctx;
//  6. the signature; then the issuer's own Check.
//
// Header parameters jku, x5u, jwk and x5c are never used to find a key and
// never fetched. When the issuer's keys cannot be had, the error matches
// ErrKeysUnavailable (answer 503), not ErrInvalidToken.
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	return v.validate(ctx, token)
}

var b64 = base64.RawURLEncoding.Strict()

// header holds the JOSE header fields jwtguard reads.
type header struct {
	Alg  *string         `json:"alg"`
	Kid  *string         `json:"kid"`
	Typ  *string         `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

func (v *Validator) validateToken(ctx context.Context, token string) (*Claims, error) {
	if token == "" {
		return nil, newErr(ErrMissingToken, ReasonMissing)
	}
	if len(token) > v.maxTokenSize {
		return nil, newErr(ErrMalformed, ReasonTooLarge)
	}
	if v.cache != nil {
		if c := v.cache.get(token, v.now()); c != nil {
			return c, nil
		}
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s64, '.') >= 0 || h64 == "" || p64 == "" {
		return nil, newErr(ErrMalformed, ReasonMalformed)
	}

	// 1–2. Header. One buffer holds the decoded header, payload and
	// signature.
	buf := make([]byte, b64.DecodedLen(len(h64))+b64.DecodedLen(len(p64))+b64.DecodedLen(len(s64)))
	hb, buf, err := decodeInto(buf, h64)
	if err != nil || !isObject(hb) {
		return nil, newErr(ErrMalformed, ReasonMalformed)
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, newErr(ErrMalformed, ReasonMalformed)
	}
	if h.Alg == nil {
		return nil, newErr(ErrMalformed, ReasonMalformed)
	}
	alg := *h.Alg
	var kid, typ string
	if h.Kid != nil {
		kid = *h.Kid
	}
	if h.Typ != nil {
		typ = *h.Typ
	}
	var issuerName string
	fail := func(sentinel error, reason Reason, issuer string, cause error) (*Claims, error) {
		e := &ValidationError{Err: sentinel, Reason: reason, Issuer: issuer, KeyID: sanitizeForLog(kid), Algorithm: sanitizeForLog(alg), Cause: cause}
		if issuer != "" {
			e.IssuerName = issuerName
		}
		return nil, e
	}
	if !supportedAlg(alg) {
		return fail(ErrAlgorithm, ReasonAlgorithm, "", nil)
	}
	if s64 == "" { // unsecured or stripped: no signature to verify
		return fail(ErrMalformed, ReasonMalformed, "", nil)
	}
	if h.Crit != nil {
		// jwtguard implements no JWS extension, so every listed one is
		// unknown (RFC 7515 §4.1.11); an empty or malformed list is
		// invalid too.
		return fail(ErrCritical, ReasonCritical, "", nil)
	}

	// 3. Payload and issuer.
	pb, buf, err := decodeInto(buf, p64)
	if err != nil || !isObject(pb) {
		return fail(ErrMalformed, ReasonMalformed, "", nil)
	}
	var rc rawClaims
	if err := json.Unmarshal(pb, &rc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fail(ErrMalformed, ReasonMalformed, "", nil)
		}
		return fail(ErrClaims, ReasonClaims, "", claimCause(err))
	}
	if !rc.Iss.set {
		return fail(ErrUnknownIssuer, ReasonUnknownIssuer, "", errors.New("iss claim missing"))
	}
	st := v.table.Load().byIss[rc.Iss.s]
	if st == nil {
		return fail(ErrUnknownIssuer, ReasonUnknownIssuer, "", nil)
	}
	cfg := st.cfg
	iss := cfg.URL
	issuerName = cfg.Name

	// 4. Cheap checks.
	if !cfg.algs[alg] {
		return fail(ErrAlgorithm, ReasonAlgorithm, iss, nil)
	}
	if len(cfg.types) > 0 && !containsString(cfg.types, normalizeType(typ)) {
		return fail(ErrType, ReasonType, iss, nil)
	}
	now := v.now()
	if !rc.Exp.set {
		return fail(ErrClaims, ReasonMissingExp, iss, errors.New("exp claim missing"))
	}
	if !now.Before(rc.Exp.t.Add(cfg.leeway)) {
		return fail(ErrExpired, ReasonExpired, iss, nil)
	}
	if rc.Nbf.set && rc.Nbf.t.After(now.Add(cfg.leeway)) {
		return fail(ErrNotYetValid, ReasonNotYetValid, iss, nil)
	}
	if rc.Iat.set && rc.Iat.t.After(now.Add(cfg.leeway)) {
		return fail(ErrNotYetValid, ReasonIssuedInFuture, iss, nil)
	}
	if !cfg.InsecureSkipAudience && !audienceOK(rc.Aud.list, cfg.Audiences) {
		return fail(ErrAudience, ReasonAudience, iss, nil)
	}

	// 5. Key, from this issuer only (the key lifecycle is the ring's:
	// internal/keyring).
	ks, err := st.ring.KeyFor(ctx, kid, jws.ParseAlg(alg))
	if errors.Is(err, keyring.ErrUnknownKey) {
		return fail(ErrUnknownKey, ReasonUnknownKey, iss, nil)
	}
	if err != nil {
		return fail(ErrKeysUnavailable, ReasonKeysUnavailable, iss, err)
	}
	key := ks.Keys.Find(kid, jws.ParseAlg(alg))

	// 6. Signature, over the signing input exactly as received.
	sig, _, err := decodeInto(buf, s64)
	if err != nil {
		return fail(ErrMalformed, ReasonMalformed, iss, nil)
	}
	if !jws.Verify(jws.ParseAlg(alg), key, []byte(token[:len(h64)+1+len(p64)]), sig) {
		return fail(ErrSignature, ReasonSignature, iss, nil)
	}

	c := &Claims{
		Issuer:     rc.Iss.s,
		Subject:    rc.Sub,
		Audience:   rc.Aud.list,
		ExpiresAt:  rc.Exp.t,
		NotBefore:  rc.Nbf.t,
		IssuedAt:   rc.Iat.t,
		ID:         rc.Jti,
		ClientID:   rc.Azp,
		IssuerName: cfg.Name,
		KeyID:      kid,
		Algorithm:  alg,
		Type:       typ,
		raw:        pb,

		scopeMatching: cfg.ScopeMatching,
	}
	if rc.ClientID.set {
		c.ClientID = rc.ClientID.s
	}
	if err := c.collectScopes(&rc, cfg.scopeClaims); err != nil {
		return fail(ErrClaims, ReasonClaims, iss, err)
	}
	if cfg.Check != nil {
		if err := cfg.Check(c); err != nil {
			return fail(ErrClaims, ReasonClaims, iss, err)
		}
	}
	if v.cache != nil {
		v.cache.put(token, c, st, ks, key, cfg.leeway)
	}
	return c, nil
}

// claimCause reduces a JSON decoding error to the claim's name, so no claim
// value reaches an error message.
func claimCause(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Field != "" {
		return &claimError{name: ute.Field}
	}
	var ce *claimError
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, errClaimType) {
		return errors.New("a time claim (exp, nbf or iat) is not a number")
	}
	return errors.New("claims do not have the expected types")
}

// decodeInto base64url-decodes s (strictly: no padding, canonical final
// bits) into the front of buf and returns the decoded bytes and the rest.
func decodeInto(buf []byte, s string) (out, rest []byte, err error) {
	n, err := b64.Decode(buf[:b64.DecodedLen(len(s))], []byte(s))
	if err != nil {
		return nil, buf, err
	}
	return buf[:n:n], buf[n:], nil
}

func isObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

func audienceOK(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
