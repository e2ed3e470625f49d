package forwardauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
)

// Endpoint paths.
const (
	PathNginx   = "/auth/nginx"
	PathForward = "/auth/forward"
	PathEnvoy   = "/auth/envoy"
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
)

// maxHeaderValue caps an identity header's value, in bytes.
const maxHeaderValue = 4 << 10

// Authorizer answers forward-auth requests. It is an http.Handler, safe for
// concurrent use.
type Authorizer struct {
	state atomic.Pointer[state]
	// mu serialises Reload and Close; ks is the key store of the current
	// state.
	mu       sync.Mutex
	ks       *keyStore
	closed   bool
	log      *slog.Logger
	extra    []authz.Option
	warmWait time.Duration
	metrics  *metrics
	tracing  *tracing // nil: no traces
}

type state struct {
	cfg        *config.Config
	v          *authz.Validator
	rules      []rule
	retryAfter string
}

// Option configures an Authorizer.
type Option func(*Authorizer)

// WithValidatorOptions adds options to every Validator the Authorizer
// builds (tests: an HTTP client, a clock).
func WithValidatorOptions(opts ...authz.Option) Option {
	return func(a *Authorizer) { a.extra = append(a.extra, opts...) }
}

// WithLogger sets the logger [slog.Default()].
func WithLogger(l *slog.Logger) Option { return func(a *Authorizer) { a.log = l } }

// WithWarmWait bounds how long New and Reload wait for the issuers' keys
// before serving [5s]. They serve after it anyway: /readyz tells when the
// keys are in.
func WithWarmWait(d time.Duration) Option { return func(a *Authorizer) { a.warmWait = d } }

// New builds an Authorizer for cfg and fetches the issuers' keys, waiting
// up to the warm wait.
func New(cfg *config.Config, opts ...Option) (*Authorizer, error) {
	a := &Authorizer{log: slog.Default(), warmWait: 5 * time.Second, metrics: newMetrics()}
	for _, o := range opts {
		o(a)
	}
	if err := a.Reload(cfg); err != nil {
		return nil, err
	}
	return a, nil
}

// Reload builds a new state from cfg, warms its keys and swaps it in.
// Requests in flight finish with the old state; on error the old state
// stays. The key store (and its Redis client) is kept when cfg's keystore
// block describes the same store; otherwise a new one is built and the old
// one's client closed after the swap.
func (a *Authorizer) Reload(cfg *config.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return errors.New("forwardauth: Reload after Close")
	}
	issuers, err := cfg.AuthzIssuers()
	if err != nil {
		return err
	}
	rules, err := compileRules(cfg)
	if err != nil {
		return err
	}
	ks := a.ks
	fresh := ks == nil || !ks.cfg.SameStore(&cfg.Keystore)
	if fresh {
		if ks, err = newKeyStore(cfg.Keystore, a.metrics, a.log); err != nil {
			return err
		}
	}
	opts := ks.validatorOptions(&cfg.Keystore)
	opts = append(opts, authz.WithHooks(authz.Hooks{StoreRejected: a.metrics.storeRejected}))
	if a.tracing != nil {
		opts = append(opts, authz.WithHooks(a.tracing.hooks))
	}
	if *cfg.TokenCache {
		opts = append(opts, authz.WithTokenCache(authz.TokenCacheOptions{}))
	}
	opts = append(opts, a.extra...)
	v, err := authz.New(issuers, opts...)
	if err != nil {
		if fresh {
			_ = ks.close()
		}
		return err
	}
	if fresh {
		a.log.Info("key store", ks.logAttrs()...)
	}
	if a.warmWait > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), a.warmWait)
		if err := v.Warm(ctx); err != nil {
			a.log.Warn("keys not warm yet; serving anyway (see /readyz)", "error", err.Error())
		}
		cancel()
	}
	secs := int((cfg.RetryAfter + time.Second - 1) / time.Second)
	old := a.state.Swap(&state{cfg: cfg, v: v, rules: rules, retryAfter: strconv.Itoa(secs)})
	if old != nil {
		// Validate keeps working on a closed Validator: requests still
		// holding the old state finish normally (with a replaced store,
		// its calls fail and the keys come from memory or the IdP).
		old.v.Close()
	}
	if fresh {
		if err := a.ks.close(); err != nil {
			a.log.Warn("closing the previous key store", "error", err.Error())
		}
		a.ks = ks
	}
	return nil
}

// Close stops the background key refresh and closes the key store's
// Redis client.
func (a *Authorizer) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if st := a.state.Load(); st != nil {
		st.v.Close()
	}
	return a.ks.close()
}

// Ready reports whether every issuer has usable keys, and which do not.
// The key store plays no part: with Redis down the keys come from memory
// or the IdP, so a Redis outage does not make the authorizer unready.
func (a *Authorizer) Ready() (bool, []string) {
	var missing []string
	for _, s := range a.state.Load().v.Status() {
		if s.Keys == 0 {
			missing = append(missing, s.Name)
		}
	}
	return len(missing) == 0, missing
}

// target is the original request as the proxy reports it.
type target struct {
	method, host, uri string
}

// ServeHTTP dispatches on the endpoint.
func (a *Authorizer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The raw request target, not r.URL.Path: Envoy's check path is the
	// client's, undecoded and uncleaned.
	raw := r.RequestURI
	p := raw
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	switch {
	case p == PathEnvoy || strings.HasPrefix(p, PathEnvoy+"/"):
		uri := strings.TrimPrefix(raw, PathEnvoy)
		if !strings.HasPrefix(uri, "/") {
			uri = "/" + uri
		}
		a.serveDecision(w, r, "envoy", target{method: r.Method, host: r.Host, uri: uri}, nil)
	case p == PathNginx:
		t, err := nginxTarget(r)
		a.serveDecision(w, r, "nginx", t, err)
	case p == PathForward:
		t, err := forwardTarget(r)
		a.serveDecision(w, r, "forward", t, err)
	case p == PathMetrics:
		a.serveMetrics(w)
	case p == PathHealth:
		w.Write([]byte("ok\n"))
	case p == PathReady:
		if ok, missing := a.Ready(); !ok {
			http.Error(w, "no keys yet for: "+strings.Join(missing, ", "), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	default:
		http.NotFound(w, r)
	}
}

// one returns the only value of header name; two or more are an error (a
// client-sent copy the proxy appended to instead of replacing).
func one(r *http.Request, name string) (string, error) {
	vs := r.Header.Values(name)
	switch len(vs) {
	case 0:
		return "", fmt.Errorf("proxy sent no %s", name)
	case 1:
		return vs[0], nil
	}
	return "", fmt.Errorf("%s sent %d times", name, len(vs))
}

// nginxTarget reads X-Original-Method and X-Original-URI (nginx), or
// X-Original-URL (ingress-nginx; the only header with the host). When both
// URI and URL are present they must agree.
func nginxTarget(r *http.Request) (target, error) {
	var t target
	m, err := one(r, "X-Original-Method")
	if err != nil {
		return t, err
	}
	t.method = m
	if len(r.Header.Values("X-Original-URL")) > 0 {
		full, err := one(r, "X-Original-URL")
		if err != nil {
			return t, err
		}
		_, rest, ok := strings.Cut(full, "://")
		if !ok {
			return t, errors.New("X-Original-URL is not absolute")
		}
		i := strings.IndexAny(rest, "/?")
		if i < 0 {
			t.host, t.uri = rest, "/"
		} else {
			t.host, t.uri = rest[:i], rest[i:]
		}
		if t.uri[0] == '?' {
			t.uri = "/" + t.uri
		}
		if len(r.Header.Values("X-Original-URI")) > 0 {
			u, err := one(r, "X-Original-URI")
			if err != nil {
				return t, err
			}
			if u != t.uri {
				return t, errors.New("X-Original-URI and X-Original-URL disagree")
			}
		}
		return t, nil
	}
	t.uri, err = one(r, "X-Original-URI")
	return t, err
}

// forwardTarget reads the X-Forwarded-* set of Traefik and Caddy.
func forwardTarget(r *http.Request) (target, error) {
	var t target
	var err error
	if t.method, err = one(r, "X-Forwarded-Method"); err != nil {
		return t, err
	}
	if t.uri, err = one(r, "X-Forwarded-Uri"); err != nil {
		return t, err
	}
	if vs := r.Header.Values("X-Forwarded-Host"); len(vs) > 0 {
		if t.host, err = one(r, "X-Forwarded-Host"); err != nil {
			return t, err
		}
		if strings.Contains(t.host, ",") {
			return t, errors.New("X-Forwarded-Host holds a list")
		}
	}
	return t, nil
}

// normHost lower-cases host and drops its port.
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		return strings.Trim(host, "[]")
	}
	return strings.Trim(h, "[]")
}

// decision is what is logged about one request.
type decision struct {
	endpoint, method, host, path, rule, reason string
	status                                     int
	issuer, kid                                string
}

// result is a decision, independent of the transport that carries it.
type result struct {
	status int
	header http.Header // identity headers on allow; WWW-Authenticate, Retry-After on deny
	body   string      // on deny
}

// serveDecision answers an HTTP check request.
func (a *Authorizer) serveDecision(w http.ResponseWriter, r *http.Request, endpoint string, t target, targetErr error) {
	res := a.decide(a.tracing.extractHTTP(r), endpoint, t, r.Header.Values("Authorization"), targetErr)
	h := w.Header()
	for k, v := range res.header {
		h[k] = v
	}
	if res.status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Error(w, res.body, res.status)
}

// decide answers one check: the original request t, the values of its
// Authorization header.
func (a *Authorizer) decide(ctx context.Context, endpoint string, t target, authorization []string, targetErr error) (res result) {
	start := time.Now()
	st := a.state.Load()
	d := decision{endpoint: endpoint, method: t.method, host: normHost(t.host)}
	res.header = http.Header{}
	ctx, endSpan := a.tracing.start(ctx, endpoint)
	defer func() {
		d.status = res.status
		endSpan(&d)
		a.logDecision(ctx, d, time.Since(start))
	}()

	if targetErr != nil {
		// The proxy is not configured as this endpoint expects.
		d.reason = "misconfigured_proxy: " + targetErr.Error()
		return result{status: http.StatusInternalServerError, header: res.header, body: "authorizer: " + targetErr.Error()}
	}
	path, err := NormalizePath(t.uri)
	if err != nil {
		d.reason = "bad_path"
		return result{status: http.StatusForbidden, header: res.header, body: "forbidden: path cannot be normalised"}
	}
	d.path = path
	ru := match(st.rules, d.host, t.method, path)
	if ru == nil {
		d.reason = "no_rule"
		return result{status: http.StatusForbidden, header: res.header, body: "forbidden: no rule allows this request"}
	}
	d.rule = ru.name
	if ru.anonymous {
		d.reason = "anonymous"
		setIdentity(res.header, st, nil)
		res.status = http.StatusOK
		return res
	}
	vctx, cancel := context.WithTimeout(ctx, st.cfg.DecisionTimeout)
	defer cancel()
	var claims *authz.Claims
	token, err := bearer(authorization)
	if err == nil {
		claims, err = st.v.Validate(vctx, token)
	}
	if err == nil {
		d.issuer, d.kid = claims.IssuerName, claims.KeyID
		err = ru.policy.Check(vctx, claims)
	}
	if err != nil {
		return deny(st, err, &d)
	}
	setIdentity(res.header, st, claims)
	d.reason = "allowed"
	res.status = http.StatusOK
	return res
}

// setIdentity sets every identity header of an allowed request: the
// claim's value, or an empty value when the claim is absent or the route is
// anonymous (claims nil). Sending the empty value, rather than nothing,
// matters: nginx drops a header set from an empty variable, and Caddy
// before 2.9 would otherwise copy a placeholder text.
func setIdentity(h http.Header, st *state, claims *authz.Claims) {
	for _, ih := range st.cfg.IdentityHeaders {
		v := ""
		if claims != nil {
			v, _ = claimValue(claims, ih.Claim)
		}
		h[http.CanonicalHeaderKey(ih.Header)] = []string{v}
	}
}

func deny(st *state, err error, d *decision) result {
	res := result{status: nethttp.Status(err), header: http.Header{}}
	var ve *authz.ValidationError
	var pe *authz.PolicyError
	switch {
	case errors.As(err, &ve):
		d.reason, d.kid = string(ve.Reason), ve.KeyID
		if ve.IssuerName != "" {
			d.issuer = ve.IssuerName
		}
		if ve.Reason == authz.ReasonKeysUnavailable && ve.Cause != nil {
			d.reason += ": " + ve.Cause.Error()
		}
	case errors.As(err, &pe):
		d.reason = "forbidden: requires " + pe.Requirement
	default:
		d.reason = "error: " + err.Error()
	}
	if c := nethttp.Challenge(st.cfg.Realm, err, st.cfg.HideDescriptions); c != "" {
		res.header.Set("WWW-Authenticate", c)
	}
	if res.status == http.StatusServiceUnavailable {
		res.header.Set("Retry-After", st.retryAfter)
	}
	res.body = http.StatusText(res.status)
	return res
}

func (a *Authorizer) logDecision(ctx context.Context, d decision, took time.Duration) {
	a.metrics.observe(d.endpoint, d.status, d.reason, took)
	level := slog.LevelInfo
	switch {
	case d.status == http.StatusOK:
		level = slog.LevelDebug
	case d.status >= 500:
		level = slog.LevelWarn
	}
	if !a.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("endpoint", d.endpoint), slog.String("method", d.method), slog.String("host", d.host),
		slog.String("path", d.path), slog.String("rule", d.rule), slog.Int("status", d.status),
		slog.String("reason", d.reason), slog.Float64("ms", float64(took.Microseconds())/1000),
	}
	if d.issuer != "" {
		attrs = append(attrs, slog.String("issuer", d.issuer))
	}
	if d.kid != "" {
		attrs = append(attrs, slog.String("kid", d.kid))
	}
	a.log.LogAttrs(ctx, level, "decision", attrs...)
}

// errMalformedAuth is the rejection of an Authorization header that holds
// a Bearer scheme but no single usable token.
var errMalformedAuth = &authz.ValidationError{Err: authz.ErrMalformed, Reason: authz.ReasonMalformed}

// bearer returns the Bearer token of the Authorization header: "" (no
// token) when there is none or it uses another scheme.
func bearer(vs []string) (string, error) {
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errMalformedAuth
	}
	scheme, tok, _ := strings.Cut(vs[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", errMalformedAuth
	}
	return tok, nil
}

// claimValue renders a claim for a header: strings as they are, numbers
// and booleans as JSON, arrays of those joined with commas. Objects,
// nulls, and values with bytes outside printable ASCII are not sent.
func claimValue(c *authz.Claims, name string) (string, bool) {
	var s string
	switch name {
	case "$scopes":
		s = strings.Join(c.Scopes, " ")
	case "sub":
		s = c.Subject
	default:
		v, ok := c.Lookup(config.ClaimPath(name)...)
		if !ok {
			return "", false
		}
		if s, ok = scalar(v); !ok {
			list, isList := v.([]any)
			if !isList {
				return "", false
			}
			parts := make([]string, 0, len(list))
			for _, e := range list {
				p, ok := scalar(e)
				if !ok {
					return "", false
				}
				parts = append(parts, p)
			}
			s = strings.Join(parts, ",")
		}
	}
	if s == "" || len(s) > maxHeaderValue {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", false
		}
	}
	return s, true
}

func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}
