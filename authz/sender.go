package authz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/internal/strictjson"
	"github.com/jwtguard/jwtguard/keystore"
)

// Sender-constrained tokens: DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705). A token whose cnf claim binds it to a key is accepted only
// with proof of that key: a DPoP proof signed by it, or the TLS client
// certificate it names. Validate, which sees no request, therefore rejects
// every bound token; adapters call ValidateRequest.

// Errors of sender-constrained tokens. Each also matches ErrInvalidToken.
var (
	// ErrDPoPProof means the DPoP proof is missing, malformed, not signed
	// by its key, made for another request, too old, replayed, or does not
	// match the token (RFC 9449 §4.3). Answer 401 with a DPoP challenge and
	// error="invalid_dpop_proof".
	ErrDPoPProof = errors.New("authz: invalid DPoP proof")

	// ErrDPoPNonce means the proof lacks the server's current nonce (RFC
	// 9449 §8): answer 401 with error="use_dpop_nonce" and a fresh nonce
	// in the DPoP-Nonce header (Validator.DPoPNonce).
	ErrDPoPNonce = errors.New("authz: DPoP nonce required")

	// ErrTokenBinding means the token is bound to a key the request does
	// not prove: a DPoP-bound token sent as Bearer, a certificate-bound
	// token without that certificate, a bound token of a kind jwtguard does
	// not check, or a Bearer token where DPoP is required. Answer 401 with
	// error="invalid_token".
	ErrTokenBinding = errors.New("authz: token binding not satisfied")
)

// Reason codes of sender-constrained tokens.
const (
	ReasonDPoPProof       Reason = "dpop_proof_invalid"
	ReasonDPoPReplay      Reason = "dpop_proof_replayed"
	ReasonDPoPNonce       Reason = "dpop_nonce_required"
	ReasonBoundAsBearer   Reason = "bound_token_as_bearer"
	ReasonDPoPRequired    Reason = "dpop_required"
	ReasonCertMismatch    Reason = "certificate_mismatch"
	ReasonUnknownBinding  Reason = "unknown_binding"
	ReasonReplayUnchecked Reason = "replay_check_unavailable"
)

// Confirmation is a token's cnf claim (RFC 7800 §3.1): what binds it to a
// key of its sender.
type Confirmation struct {
	// JKT is the RFC 7638 thumbprint of the DPoP key (RFC 9449 §6.1).
	JKT string
	// X5TS256 is the SHA-256 thumbprint of the client certificate
	// (x5t#S256, RFC 8705 §3.1).
	X5TS256 string
	// Other is set when cnf holds a confirmation method jwtguard does not
	// check; such a token is always refused (ErrTokenBinding).
	Other bool
}

// Bound reports whether the token is bound to a key of its sender.
func (c Confirmation) Bound() bool { return c.JKT != "" || c.X5TS256 != "" || c.Other }

// DPoPMode says which requests must prove a DPoP key.
type DPoPMode uint8

// DPoP modes.
const (
	// DPoPDisabled accepts only Bearer: the DPoP scheme and DPoP-bound
	// tokens are refused.
	DPoPDisabled DPoPMode = iota
	// DPoPAllowed accepts Bearer tokens, and DPoP-bound tokens with a
	// valid proof under the DPoP scheme.
	DPoPAllowed
	// DPoPRequired accepts only DPoP-bound tokens with a valid proof.
	DPoPRequired
)

// DPoPOptions configure DPoP proof checking (RFC 9449). The zero value is
// DPoP disabled.
type DPoPOptions struct {
	// Mode is DPoPDisabled, DPoPAllowed or DPoPRequired.
	Mode DPoPMode
	// Algorithms allowed for proofs. Defaults to DefaultAlgorithms; none,
	// HS* and anything else are refused by New.
	Algorithms []string
	// MaxAge is how old a proof's iat may be (default 60 s); a proof's jti
	// is remembered for MaxAge plus twice Leeway, so it cannot be replayed
	// while it could still be accepted.
	MaxAge time.Duration
	// Leeway tolerates clocks ahead of the server's (default 5 s).
	Leeway time.Duration
	// NonceSecret, when set, requires server nonces (RFC 9449 §8): a proof
	// must carry the nonce Validator.DPoPNonce hands out. Nonces are an
	// HMAC of the time window under this secret, so every replica that
	// shares it accepts the others' nonces; they rotate every
	// NonceLifetime and the previous one stays good. At least 32 bytes.
	NonceSecret []byte
	// NonceLifetime is how long a nonce is handed out (default 5 min).
	NonceLifetime time.Duration
	// ReplayFallbackLocal, when the shared store's replay check fails,
	// checks replay in this process only instead of refusing the proof
	// (ErrKeysUnavailable, 503, reason replay_check_unavailable, the
	// default: fail closed). A proof may then be replayed once on each
	// other replica while the store is down.
	ReplayFallbackLocal bool
}

// WithDPoP configures DPoP (RFC 9449) for ValidateRequest.
func WithDPoP(o DPoPOptions) Option { return func(v *Validator) { v.dpopOpts = &o } }

// dpopConfig is DPoPOptions checked and with defaults.
type dpopConfig struct {
	DPoPOptions
	algs map[jws.Alg]bool
	list string // space-separated, for challenges
}

func (o DPoPOptions) compile() (*dpopConfig, error) {
	c := &dpopConfig{DPoPOptions: o, algs: map[jws.Alg]bool{}}
	var errs []error
	if o.Mode > DPoPRequired {
		errs = append(errs, fmt.Errorf("authz: DPoP: unknown mode %d", o.Mode))
	}
	algs := o.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	var names []string
	for _, a := range algs {
		alg := jws.ParseAlg(a)
		if !alg.Valid() {
			errs = append(errs, fmt.Errorf("authz: DPoP: algorithm %q is not allowed (only RS*, PS*, ES*, EdDSA)", a))
			continue
		}
		c.algs[alg] = true
		names = append(names, a)
	}
	c.list = strings.Join(names, " ")
	if c.MaxAge == 0 {
		c.MaxAge = 60 * time.Second
	}
	if c.Leeway == 0 {
		c.Leeway = 5 * time.Second
	}
	if c.NonceLifetime == 0 {
		c.NonceLifetime = 5 * time.Minute
	}
	if c.MaxAge < 0 || c.Leeway < 0 || c.NonceLifetime < time.Second {
		errs = append(errs, errors.New("authz: DPoP: MaxAge and Leeway must not be negative, NonceLifetime at least 1s"))
	}
	if o.NonceSecret != nil && len(o.NonceSecret) < 32 {
		errs = append(errs, errors.New("authz: DPoP: NonceSecret must be at least 32 bytes"))
	}
	return c, errors.Join(errs...)
}

// DPoPAlgorithms returns the algorithms DPoP proofs may use, space
// separated, for the algs parameter of a DPoP challenge (RFC 9449 §7.1).
func (v *Validator) DPoPAlgorithms() string {
	if v.dpop == nil {
		return ""
	}
	return v.dpop.list
}

// DPoPMode returns the configured DPoP mode.
func (v *Validator) DPoPMode() DPoPMode {
	if v.dpop == nil {
		return DPoPDisabled
	}
	return v.dpop.Mode
}

// Request describes the request a token came with, for sender-constrained
// tokens.
type Request struct {
	// Scheme is the Authorization scheme the token came under: "Bearer"
	// or "DPoP" (compared case-insensitively; empty means Bearer).
	Scheme string
	// Method is the HTTP method (for gRPC, "POST").
	Method string
	// URI is the request's URI as the client addressed it — scheme, host,
	// port and path; query and fragment are ignored. Behind a proxy, build
	// it from headers of proxies you trust only.
	URI string
	// DPoP holds every DPoP header field value of the request.
	DPoP []string
	// ClientCertificate is the TLS client certificate the client proved
	// (r.TLS.PeerCertificates[0]), or one a trusted TLS-terminating proxy
	// passed on; nil when none.
	ClientCertificate *x509.Certificate
	// RequireDPoP makes this request need a DPoP-bound token and its proof
	// even when the Validator's mode is DPoPAllowed: the per-route form of
	// DPoPRequired (nethttp.WithDPoPRequired). It has no effect when DPoP
	// is disabled.
	RequireDPoP bool
}

type requestKey struct{}

// requestContext carries the Request of ValidateRequest to checkBinding:
// a context.WithValue and the Request in one allocation.
type requestContext struct {
	context.Context
	req Request
}

// String names the context as context.WithValue would, never printing
// the request (a DPoP proof is a credential).
func (c *requestContext) String() string {
	parent := fmt.Sprintf("%T", c.Context)
	if s, ok := c.Context.(fmt.Stringer); ok {
		parent = s.String()
	}
	return parent + ".WithValue(authz.requestKey, *authz.Request)"
}

func (c *requestContext) Value(key any) any {
	if key == (requestKey{}) {
		return &c.req
	}
	return c.Context.Value(key)
}

// ValidateRequest is Validate for a token that came with req: a token bound
// to its sender (cnf) is accepted only when req proves the binding — a
// valid DPoP proof (RFC 9449 §4.3) under the DPoP scheme, or the client
// certificate it names (RFC 8705 §3). The checks run inside the validation
// hooks, so telemetry sees their outcomes.
func (v *Validator) ValidateRequest(ctx context.Context, token string, req Request) (*Claims, error) {
	if ctx == nil {
		panic("authz: ValidateRequest with a nil Context")
	}
	return v.validate(&requestContext{ctx, req}, token)
}

// checkBinding is the last step of every validation: the token's binding
// to its sender, against the request in ctx (none for Validate).
func (v *Validator) checkBinding(ctx context.Context, token string, c *Claims) (*Claims, error) {
	req, _ := ctx.Value(requestKey{}).(*Request)
	mode := v.DPoPMode()
	if mode == DPoPAllowed && req != nil && req.RequireDPoP {
		mode = DPoPRequired
	}
	dpopScheme := req != nil && strings.EqualFold(req.Scheme, "DPoP")
	fail := func(sentinel error, reason Reason, cause error) (*Claims, error) {
		return nil, &ValidationError{Err: sentinel, Reason: reason, Issuer: v.issuerURL(c), IssuerName: c.IssuerName, KeyID: sanitizeForLog(c.KeyID), Algorithm: c.Algorithm, Cause: cause}
	}
	cnf := c.Confirmation
	switch {
	case !cnf.Bound() && !dpopScheme:
		if mode == DPoPRequired {
			return fail(ErrTokenBinding, ReasonDPoPRequired, nil)
		}
		return c, nil
	case cnf.Other:
		return fail(ErrTokenBinding, ReasonUnknownBinding, nil)
	}
	if cnf.X5TS256 != "" {
		if req == nil || req.ClientCertificate == nil {
			return fail(ErrTokenBinding, ReasonCertMismatch, errors.New("no client certificate"))
		}
		sum := sha256.Sum256(req.ClientCertificate.Raw)
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(cnf.X5TS256)) != 1 {
			return fail(ErrTokenBinding, ReasonCertMismatch, nil)
		}
	}
	switch {
	case dpopScheme && mode == DPoPDisabled:
		return fail(ErrTokenBinding, ReasonUnknownBinding, errors.New("DPoP is not enabled"))
	case dpopScheme && cnf.JKT == "":
		return fail(ErrTokenBinding, ReasonDPoPProof, errors.New("token is not DPoP-bound"))
	case !dpopScheme && cnf.JKT != "":
		return fail(ErrTokenBinding, ReasonBoundAsBearer, nil)
	case !dpopScheme && mode == DPoPRequired:
		return fail(ErrTokenBinding, ReasonDPoPRequired, nil)
	case !dpopScheme:
		return c, nil // certificate-bound only, and proven
	}
	if sentinel, reason, err := v.checkProof(ctx, req, token, cnf.JKT); sentinel != nil {
		return fail(sentinel, reason, err)
	}
	return c, nil
}

func (v *Validator) issuerURL(c *Claims) string {
	if st := v.table.Load().byIss[c.Issuer]; st != nil {
		return st.cfg.URL
	}
	return ""
}

// maxProofSize bounds a DPoP header value.
const maxProofSize = 8 << 10

// checkProof verifies the request's DPoP proof (RFC 9449 §4.3) for token,
// bound to the key whose thumbprint is jkt, and records its jti last, so
// only a proof that passed every check is remembered.
func (v *Validator) checkProof(ctx context.Context, req *Request, token, jkt string) (error, Reason, error) {
	bad := func(why string) (error, Reason, error) { return ErrDPoPProof, ReasonDPoPProof, errors.New(why) }
	cfg := v.dpop
	// 1–2. Exactly one DPoP header, one well-formed JWT.
	if len(req.DPoP) != 1 {
		return bad("not exactly one DPoP header")
	}
	proof := req.DPoP[0]
	if len(proof) > maxProofSize {
		return bad("proof too large")
	}
	h64, rest, ok1 := strings.Cut(proof, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || h64 == "" || p64 == "" || s64 == "" || !base64url(h64) || !base64url(p64) || !base64url(s64) {
		return bad("proof is not a compact JWS")
	}
	hb, err := b64.DecodeString(h64)
	if err != nil {
		return bad("proof header is not base64url")
	}
	// 4–5, 7. typ dpop+jwt, an allowed asymmetric alg, a public jwk.
	h, key, err := jws.ParseProofHeader(hb)
	if err != nil {
		return bad("proof header: " + err.Error())
	}
	if !h.HasTyp || normalizeType(h.Typ) != "dpop+jwt" {
		return bad("proof typ is not dpop+jwt")
	}
	if !cfg.algs[h.Alg] {
		return bad("proof algorithm not allowed")
	}
	// 6. Signed by that key.
	sig, err := b64.DecodeString(s64)
	if err != nil || !jws.Verify(h.Alg, key, []byte(proof[:len(h64)+1+len(p64)]), sig) {
		return bad("proof signature does not verify with its jwk")
	}
	pb, err := b64.DecodeString(p64)
	if err != nil || strictjson.Valid(pb) != nil || strictjson.Kind(pb) != '{' {
		return bad("proof payload is not a JSON object")
	}
	// 3. The claims, read strictly.
	var p proofClaims
	if err := p.read(pb); err != nil {
		return bad(err.Error())
	}
	// 8–9. For this request.
	if p.htm != req.Method {
		return bad("htm does not match the request method")
	}
	want, ok := normalizeHTU(req.URI)
	got, ok2 := normalizeHTU(p.htu)
	if !ok || !ok2 || got != want {
		return bad("htu does not match the request URI")
	}
	// 11. Fresh.
	now := v.now()
	if p.iat.After(now.Add(cfg.Leeway)) || p.iat.Before(now.Add(-cfg.MaxAge-cfg.Leeway)) {
		return bad("proof iat outside the accepted window")
	}
	// 12. For this token and bound to its key.
	ath := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(ath[:])), []byte(p.ath)) != 1 {
		return bad("ath does not match the access token")
	}
	thumb := key.Thumbprint()
	if thumb == "" || subtle.ConstantTimeCompare([]byte(thumb), []byte(jkt)) != 1 {
		return bad("proof key is not the key the token is bound to")
	}
	// 10. The server's nonce, when required.
	if cfg.NonceSecret != nil && !v.validNonce(p.nonce, now) {
		return ErrDPoPNonce, ReasonDPoPNonce, nil
	}
	// Replay, across every replica that shares the store.
	id := sha256.Sum256([]byte(thumb + "\x00" + p.jti))
	fresh, err := v.markSeen(ctx, "dpop:"+base64.RawURLEncoding.EncodeToString(id[:]), cfg.MaxAge+2*cfg.Leeway, now)
	switch {
	case err != nil:
		return ErrKeysUnavailable, ReasonReplayUnchecked, err
	case !fresh:
		return ErrDPoPProof, ReasonDPoPReplay, errors.New("proof jti already used")
	}
	return nil, "", nil
}

// proofClaims are the members of a DPoP proof's payload (RFC 9449 §4.2).
type proofClaims struct {
	jti, htm, htu, ath, nonce string
	iat                       time.Time
}

func (p *proofClaims) read(pb []byte) error {
	it, err := strictjson.Object(pb)
	if err != nil {
		return err
	}
	var hasIat bool
	for {
		name, val, ok := it.Next()
		if !ok {
			break
		}
		var good bool
		switch string(name) {
		case "jti":
			p.jti, good = stringOf(val)
			good = good && len(p.jti) <= 256
		case "htm":
			p.htm, good = stringOf(val)
		case "htu":
			p.htu, good = stringOf(val)
		case "ath":
			p.ath, good = stringOf(val)
		case "nonce":
			p.nonce, good = stringOf(val)
		case "iat":
			p.iat, good = numericDate(val)
			hasIat = true
		default:
			continue
		}
		if !good {
			return errors.New("proof claim " + registeredProofName(name) + " has the wrong type")
		}
	}
	if p.jti == "" || p.htm == "" || p.htu == "" || !hasIat || p.ath == "" {
		return errors.New("proof lacks jti, htm, htu, iat or ath")
	}
	return it.Err()
}

func registeredProofName(name []byte) string {
	return knownName(name, "jti", "htm", "htu", "ath", "nonce", "iat")
}

// DPoPNonce returns the nonce to send in a DPoP-Nonce header (RFC 9449
// §8), or "" when nonces are not required.
func (v *Validator) DPoPNonce() string {
	if v.dpop == nil || v.dpop.NonceSecret == nil {
		return ""
	}
	return v.nonceAt(v.now().Unix() / int64(v.dpop.NonceLifetime/time.Second))
}

func (v *Validator) nonceAt(window int64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(window))
	m := hmac.New(sha256.New, v.dpop.NonceSecret)
	m.Write([]byte("jwtguard dpop nonce\x00"))
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validNonce accepts the current window's nonce and the previous one's.
func (v *Validator) validNonce(n string, now time.Time) bool {
	w := now.Unix() / int64(v.dpop.NonceLifetime/time.Second)
	for _, win := range [...]int64{w, w - 1} {
		if hmac.Equal([]byte(n), []byte(v.nonceAt(win))) {
			return true
		}
	}
	return false
}

// markSeen records key for ttl and reports whether it was new: in the
// shared store when it is a keystore.Adder (one round trip), else, or when
// the store fails and ReplayFallbackLocal is set, in this process.
func (v *Validator) markSeen(ctx context.Context, key string, ttl time.Duration, now time.Time) (bool, error) {
	if a, ok := v.store.(keystore.Adder); ok {
		sctx, cancel := context.WithTimeout(ctx, v.keyOpts.StoreTimeout)
		added, err := a.Add(sctx, key, ttl)
		cancel()
		if err == nil {
			return added, nil
		}
		if !v.dpop.ReplayFallbackLocal {
			return false, err
		}
		v.replayFallbacks.Add(1)
	}
	return v.seen.add(key, now.Add(ttl), now)
}

// ReplayFallbacks is how many DPoP proofs were checked for replay in this
// process only, because the shared store failed (see
// DPoPOptions.ReplayFallbackLocal).
func (v *Validator) ReplayFallbacks() uint64 { return v.replayFallbacks.Load() }

// maxSeen bounds the in-process replay cache.
const maxSeen = 1 << 20

// seenCache is the in-process replay cache.
type seenCache struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *seenCache) add(key string, until, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]time.Time)
	}
	if u, ok := s.m[key]; ok && now.Before(u) {
		return false, nil
	}
	if len(s.m) >= maxSeen {
		for k, u := range s.m {
			if !now.Before(u) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= maxSeen {
			// Evicting a live entry would let its proof be replayed.
			return false, errors.New("replay cache full")
		}
	}
	s.m[key] = until
	return true, nil
}

// normalizeHTU reduces an http(s) URI to the form htu is compared in (RFC
// 9449 §4.3 check 9): syntax- and scheme-based normalisation (RFC 3986
// §6.2.2–6.2.3) — scheme and host lower-cased, the default port dropped,
// percent-encodings upper-cased and unreserved ones decoded, dot segments
// removed, an empty path made "/" — and query and fragment dropped.
func normalizeHTU(s string) (string, bool) {
	s, _, _ = strings.Cut(s, "#")
	s, _, _ = strings.Cut(s, "?")
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if authority == "" || strings.ContainsAny(authority, "@ ") {
		return "", false
	}
	u, err := url.Parse("http://" + authority)
	if err != nil || u.User != nil || u.Hostname() == "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	p, ok := normalizePercent(path)
	if !ok {
		return "", false
	}
	p = removeDotSegments(p)
	if p == "" {
		p = "/"
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out + p, true
}

// normalizePercent upper-cases percent-encodings and decodes those of
// unreserved characters (RFC 3986 §6.2.2.1–6.2.2.2).
func normalizePercent(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(s[i : i+3]))
		}
		i += 2
	}
	return b.String(), true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// removeDotSegments is RFC 3986 §5.2.4.
func removeDotSegments(in string) string {
	var out []string
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			i := strings.IndexByte(in[1:], '/')
			if i < 0 {
				out = append(out, in)
				in = ""
			} else {
				out = append(out, in[:i+1])
				in = in[i+1:]
			}
		}
	}
	return strings.Join(out, "")
}
