package authz

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/internal/keyring"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"github.com/jwtguard/jwtguard/internal/validatorinfo"
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

	userAgent       string // WithUserAgent; "" for the default
	dpopOpts        *DPoPOptions
	dpop            *dpopConfig
	seen            seenCache
	replayFallbacks atomic.Uint64

	cache         *tokenCache
	validateHooks []func(ValidateFunc) ValidateFunc
	fetchHooks    []func(FetchFunc) FetchFunc
	rejectHooks   []func(StoreRejection)
	attachHooks   []func(*Validator) func()
	detach        []func()
	validate      ValidateFunc

	secrets       [][]byte // WithStoreSecret
	insecureStore bool     // InsecureStoreWithoutSecret
	optErrs       []error  // invalid options, reported by New
	ownClient     bool     // client made by New: Close closes its idle connections
	fetchClient   *http.Client

	headers headerMemo // the headers of tokens accepted lately
	// testVerify, set only by BenchmarkOverhead (in this package's tests),
	// takes the place of the signature check, to measure everything else
	// Validate does. Nothing outside the package can set it.
	testVerify func(keys []*jws.Key, alg jws.Alg) *jws.Key

	keys    *keyring.Store   // the store, wrapped for the rings
	flights *keyring.Flights // fetches in flight; Close waits for them
	bgCtx   context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  atomic.Bool
}

func init() {
	validatorinfo.Hooked = func(v any) bool { return len(v.(*Validator).validateHooks) > 0 }
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
	if v.dpopOpts != nil {
		d, err := v.dpopOpts.compile()
		if err != nil {
			v.optionError(err)
		}
		v.dpop = d
	}
	if len(issuers) == 0 {
		v.optionError(errors.New("no issuers: a Validator without one accepts no token (AddIssuer adds more at run time)"))
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
	for _, a := range v.attachHooks {
		if d := a(v); d != nil {
			v.detach = append(v.detach, d)
		}
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
		for _, d := range v.detach {
			d()
		}
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
//  1. size cap and compact JWS form (three strict base64url parts);
//  2. header, read strictly: alg an asymmetric algorithm, kid a bounded
//     string when present, no crit;
//  3. payload, read strictly, and the one configured issuer its iss names
//     (unverified peek);
//  4. that issuer's algorithm list and typ; exp (required), nbf, iat with
//     leeway; aud any-of — cheap checks before any key work;
//  5. the keys for kid from that issuer's keys only, refreshing once (per
//     cooldown) when the kid is unknown, bounded by ctx;
//  6. the signature, with each key under kid that fits alg;
//  7. the scope claims, then the issuer's own Check;
//  8. a token bound to its sender (cnf: DPoP or a client certificate) is
//     refused: Validate sees no request to prove the binding with (see
//     ValidateRequest).
//
// Every JSON document is read by one strict decoder: member names compared
// byte for byte, duplicate names and invalid UTF-8 refused, so the typed
// Claims, Lookup, Map, Decode and every policy see the same values.
// Header parameters jku, x5u, jwk and x5c are never used to find a key and
// never fetched. When the issuer's keys cannot be had, the error matches
// ErrKeysUnavailable (answer 503), not ErrInvalidToken.
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	return v.validate(ctx, token)
}

var b64 = base64.RawURLEncoding.Strict()

// validateToken is Validate without hooks: the numbered steps of its doc.
func (v *Validator) validateToken(ctx context.Context, token string) (*Claims, error) {
	if token == "" {
		return nil, newErr(ErrMissingToken, ReasonMissing)
	}
	// 1. Size cap and compact form.
	if len(token) > v.maxTokenSize {
		return nil, newErr(ErrMalformed, ReasonTooLarge)
	}
	now := v.now() // once: the clock is slow to read on some machines
	if v.cache != nil {
		if c := v.cache.get(token, now); c != nil {
			return v.checkBinding(ctx, token, c)
		}
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || h64 == "" || p64 == "" || !base64url(token) {
		return nil, newErr(ErrMalformed, ReasonMalformed)
	}

	// 2. Header, strictly: alg, kid, typ; crit refused. The header of a
	// token accepted lately is remembered by its exact text (a header is a
	// pure function of it), so it is decoded and read once per key, not
	// once per token.
	var (
		h   jws.Header
		buf []byte // the decoded payload, and the header when not remembered
		err error
	)
	// The buffer is never written again once decoded into, so the claims'
	// strings point into it.
	memo := v.headers.get(h64)
	if memo != nil {
		h = memo.h
		buf = make([]byte, b64.DecodedLen(len(p64)))
	} else {
		buf = make([]byte, b64.DecodedLen(len(h64))+b64.DecodedLen(len(p64)))
		var hb []byte
		hb, buf, err = decodeInto(buf, h64)
		if err != nil {
			return nil, newErr(ErrMalformed, ReasonMalformed)
		}
		h, err = jws.ParseHeader(hb)
	}
	var issuerName string
	fail := func(sentinel error, reason Reason, issuer string, cause error) (*Claims, error) {
		e := &ValidationError{Err: sentinel, Reason: reason, Issuer: issuer, KeyID: sanitizeForLog(h.Kid), Algorithm: sanitizeForLog(h.AlgName), Cause: cause}
		if issuer != "" {
			e.IssuerName = issuerName
		}
		return nil, e
	}
	switch {
	case errors.Is(err, jws.ErrCritical):
		return fail(ErrCritical, ReasonCritical, "", nil)
	case errors.Is(err, jws.ErrAlgorithm):
		return fail(ErrAlgorithm, ReasonAlgorithm, "", nil)
	case err != nil:
		return fail(ErrMalformed, ReasonMalformed, "", nil)
	case s64 == "": // unsecured or stripped: no signature to verify
		return fail(ErrMalformed, ReasonMalformed, "", nil)
	}

	// 3. Payload, strictly, and the one issuer its iss names.
	// Validated and split into its members in one pass; the registered
	// claims and the scopes are then read from the members.
	pb, _, err := decodeInto(buf, p64)
	var room [maxMembers]strictjson.Member
	var members []strictjson.Member
	if err == nil {
		members, err = strictjson.ValidObject(pb, room[:0])
	}
	if err != nil {
		return fail(ErrMalformed, ReasonMalformed, "", nil)
	}
	c := &Claims{raw: pb, KeyID: h.Kid, Algorithm: h.AlgName, Type: h.Typ}
	hasIss, hasExp, err := c.decodeRegistered(members)
	if err != nil {
		return fail(ErrClaims, ReasonClaims, "", err)
	}
	if !hasIss {
		return fail(ErrUnknownIssuer, ReasonUnknownIssuer, "", errors.New("iss claim missing"))
	}
	st := v.table.Load().byIss[c.Issuer]
	if st == nil {
		return fail(ErrUnknownIssuer, ReasonUnknownIssuer, "", nil)
	}
	cfg := st.cfg
	iss := cfg.URL
	issuerName = cfg.Name
	c.IssuerName, c.scopeMatching = cfg.Name, cfg.ScopeMatching

	// 4. Cheap checks, before any key work.
	if reason, sentinel := cheapChecks(now, cfg, &h, c, hasExp); sentinel != nil {
		return fail(sentinel, reason, iss, nil)
	}

	// 5. Keys, from this issuer only; the key lifecycle (refresh, unknown
	// kids, the shared store) is the ring's: internal/keyring.
	ks, err := st.ring.KeyForAt(ctx, now, h.Kid, h.HasKid, h.Alg)
	if errors.Is(err, keyring.ErrUnknownKey) {
		return fail(ErrUnknownKey, ReasonUnknownKey, iss, nil)
	}
	if err != nil {
		return fail(ErrKeysUnavailable, ReasonKeysUnavailable, iss, err)
	}

	// 6. Signature, over the signing input exactly as received, with each
	// key under the kid that fits alg.
	var sigRoom [maxSignature]byte // RSA-4096; longer fits no key
	sb := sigRoom[:]
	if n := b64.DecodedLen(len(s64)); n > len(sb) {
		sb = make([]byte, n)
	}
	sig, _, err := decodeInto(sb, s64)
	if err != nil {
		return fail(ErrMalformed, ReasonMalformed, iss, nil)
	}
	var key *jws.Key
	if v.testVerify == nil {
		key = verifyWith(ks.Keys.Match(h.Kid, h.HasKid, h.Alg), h.Alg, token[:len(h64)+1+len(p64)], sig)
	} else {
		key = v.testVerify(ks.Keys.Match(h.Kid, h.HasKid, h.Alg), h.Alg)
	}
	if key == nil {
		return fail(ErrSignature, ReasonSignature, iss, nil)
	}
	if memo == nil {
		v.headers.put(h64, h)
	}

	// 7. Scopes and the issuer's own check.
	if err := c.collectScopes(cfg.scopeClaims, members); err != nil {
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

	// 8. The token's binding to its sender (cnf), against the request.
	return v.checkBinding(ctx, token, c)
}

// cheapChecks are step 4: the issuer's algorithms and typ, exp (required),
// nbf and iat with leeway, aud any-of.
func cheapChecks(now time.Time, cfg *issuerConfig, h *jws.Header, c *Claims, hasExp bool) (Reason, error) {
	switch {
	case !cfg.algs[h.AlgName]:
		return ReasonAlgorithm, ErrAlgorithm
	case len(cfg.types) > 0 && !containsString(cfg.types, normalizeType(h.Typ)):
		return ReasonType, ErrType
	case !hasExp:
		return ReasonMissingExp, ErrClaims
	}
	switch {
	case !now.Before(c.ExpiresAt.Add(cfg.leeway)):
		return ReasonExpired, ErrExpired
	case !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(cfg.leeway)):
		return ReasonNotYetValid, ErrNotYetValid
	case !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(cfg.leeway)):
		return ReasonIssuedInFuture, ErrNotYetValid
	case !cfg.InsecureSkipAudience && !audienceOK(c.Audience, cfg.Audiences):
		return ReasonAudience, ErrAudience
	}
	return "", nil
}

// verifyWith returns the first of keys that fits alg and verifies sig over
// input, or nil. keys holds at most jws.MaxKeysPerKid keys.
func verifyWith(keys []*jws.Key, alg jws.Alg, input string, sig []byte) *jws.Key {
	in := unsafe.Slice(unsafe.StringData(input), len(input)) // read only
	for _, k := range keys {
		if k.Fits(alg) && jws.Verify(alg, k, in, sig) {
			return k
		}
	}
	return nil
}

const (
	// maxMembers is how many claims a token may have before reading its
	// payload allocates room for more.
	maxMembers = 20
	// maxSignature is the longest signature decoded on the stack: an
	// RSA-4096 one (keys over 4,096 bits are ignored).
	maxSignature = 512
)

// base64url reports whether s is free of CR and LF. Go's strict base64url
// decoder refuses every other byte outside the alphabet (and padding), but
// skips CR and LF: a signature with a newline inserted would otherwise
// still verify, giving one token two spellings (and two cache entries).
func base64url(s string) bool {
	return strings.IndexByte(s, '\n') < 0 && strings.IndexByte(s, '\r') < 0
}

// decodeInto base64url-decodes s (strictly: no padding, canonical final
// bits) into the front of buf and returns the decoded bytes and the rest.
func decodeInto(buf []byte, s string) (out, rest []byte, err error) {
	src := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	n, err := b64.Decode(buf[:b64.DecodedLen(len(s))], src)
	if err != nil {
		return nil, buf, err
	}
	return buf[:n:n], buf[n:], nil
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
