// Package authztest runs an in-process OpenID Connect issuer for tests: it
// serves discovery and a JWKS over httptest, mints tokens with any claims,
// algorithm, key ID and type, rotates keys, and can make its key endpoint
// fail or hang to test outages.
//
//	iss, _ := authztest.New()
//	defer iss.Close()
//	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
//	token, _ := iss.Mint(iss.Claims("user-1", "my-api"))
//	claims, err := v.Validate(ctx, token)
//
// The issuer URL is a plain-http loopback address, which authz accepts for
// loopback hosts only.
package authztest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/internal/jws"
)

// Failure is how the key endpoint (JWKS and discovery) misbehaves.
type Failure int

const (
	// Healthy serves normally.
	Healthy Failure = iota
	// Fail5xx answers 503.
	Fail5xx
	// Hang never answers; the request ends only when the client gives up
	// (or the failure is changed, or the Issuer closed).
	Hang
	// Garbage answers 200 with a body that is not a JWKS.
	Garbage
)

// Issuer is a test OpenID Connect issuer. It is safe for concurrent use.
type Issuer struct {
	srv *httptest.Server

	mu           sync.Mutex
	published    []*key          // in the JWKS
	current      map[string]*key // signing key per alg
	failure      Failure
	release      chan struct{} // closed to end hanging requests
	cacheControl string
	seq          int

	jwksHits, discoveryHits atomic.Int64
}

type key struct {
	kid    string
	alg    string
	signer crypto.Signer
}

// Option configures an Issuer.
type Option func(*Issuer)

// WithCacheControl sets the Cache-Control header of the JWKS response
// (default "public, max-age=300").
func WithCacheControl(v string) Option { return func(i *Issuer) { i.cacheControl = v } }

// New starts an issuer on a loopback port with one RS256 key.
func New(opts ...Option) (*Issuer, error) {
	i := &Issuer{current: map[string]*key{}, release: make(chan struct{}), cacheControl: "public, max-age=300"}
	for _, o := range opts {
		o(i)
	}
	if _, err := i.Rotate("RS256"); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("/jwks", i.serveJWKS)
	i.srv = httptest.NewServer(mux)
	return i, nil
}

// NewT is New for tests: it fails t on error and closes the issuer when the
// test ends.
func NewT(t testing.TB, opts ...Option) *Issuer {
	t.Helper()
	i, err := New(opts...)
	if err != nil {
		t.Fatalf("authztest.New: %v", err)
	}
	t.Cleanup(i.Close)
	return i
}

// Close stops the server, ending any hanging request.
func (i *Issuer) Close() {
	i.SetFailure(Healthy)
	i.srv.CloseClientConnections()
	i.srv.Close()
}

// URL is the issuer identifier (the iss of minted tokens).
func (i *Issuer) URL() string { return i.srv.URL }

// JWKSURL is where the key set is served.
func (i *Issuer) JWKSURL() string { return i.srv.URL + "/jwks" }

// OIDC returns authz settings for this issuer, found through discovery.
func (i *Issuer) OIDC(audiences ...string) authz.Issuer { return authz.OIDC(i.URL(), audiences...) }

// JWKSRequests counts requests to the JWKS endpoint.
func (i *Issuer) JWKSRequests() int64 { return i.jwksHits.Load() }

// DiscoveryRequests counts requests to the discovery endpoint.
func (i *Issuer) DiscoveryRequests() int64 { return i.discoveryHits.Load() }

// SetFailure makes the endpoints misbehave (or heal, with Healthy).
func (i *Issuer) SetFailure(f Failure) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.failure == Hang && f != Hang {
		close(i.release)
		i.release = make(chan struct{})
	}
	i.failure = f
}

// SetCacheControl changes the JWKS response's Cache-Control header.
func (i *Issuer) SetCacheControl(v string) {
	i.mu.Lock()
	i.cacheControl = v
	i.mu.Unlock()
}

// Rotate creates a new key for alg (RS256/384/512, PS256/384/512,
// ES256/384/512, EdDSA), publishes it, and makes it the one tokens of that
// alg are signed with. Earlier keys stay published until Retire. It returns
// the new key ID.
func (i *Issuer) Rotate(alg string) (string, error) {
	signer, err := generate(alg)
	if err != nil {
		return "", err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.seq++
	k := &key{kid: fmt.Sprintf("%s-%d", alg, i.seq), alg: alg, signer: signer}
	i.published = append(i.published, k)
	i.current[alg] = k
	return k.kid, nil
}

// Retire removes the key kid from the JWKS. Tokens can still be minted with
// it (to test that they are refused).
func (i *Issuer) Retire(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for n, k := range i.published {
		if k.kid == kid {
			i.published = append(i.published[:n:n], i.published[n+1:]...)
			return
		}
	}
}

// KeyIDs lists the published key IDs.
func (i *Issuer) KeyIDs() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []string
	for _, k := range i.published {
		out = append(out, k.kid)
	}
	return out
}

// PublicKey returns the public key of the published key kid, or nil.
func (i *Issuer) PublicKey(kid string) crypto.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, k := range i.published {
		if k.kid == kid {
			return k.signer.Public()
		}
	}
	return nil
}

// JWKS returns the key set as served.
func (i *Issuer) JWKS() []byte {
	i.mu.Lock()
	defer i.mu.Unlock()
	keys := make([]map[string]string, 0, len(i.published))
	for _, k := range i.published {
		keys = append(keys, PublicJWK(k.signer.Public(), k.kid, k.alg))
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

// PublicJWK returns the public JWK (RFC 7517, RFC 7518 §6, RFC 8037 §2) of
// an RSA, ECDSA or Ed25519 public key, with "use": "sig", and kid and alg
// when not empty. It returns nil for any other key.
func PublicJWK(pub crypto.PublicKey, kid, alg string) map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	var m map[string]string
	switch p := pub.(type) {
	case *rsa.PublicKey:
		m = map[string]string{"kty": "RSA", "n": enc(p.N.Bytes()), "e": enc(big.NewInt(int64(p.E)).Bytes())}
	case *ecdsa.PublicKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		point, err := p.Bytes() // 0x04 || x || y
		if err != nil {
			return nil
		}
		m = map[string]string{"kty": "EC", "crv": p.Curve.Params().Name, "x": enc(point[1 : 1+size]), "y": enc(point[1+size:])}
	case ed25519.PublicKey:
		m = map[string]string{"kty": "OKP", "crv": "Ed25519", "x": enc(p)}
	default:
		return nil
	}
	m["use"] = "sig"
	if kid != "" {
		m["kid"] = kid
	}
	if alg != "" {
		m["alg"] = alg
	}
	return m
}

// Claims returns standard claims for a token valid for an hour: iss, sub,
// aud, iat and exp. Add or delete entries before minting.
func (i *Issuer) Claims(sub string, audiences ...string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": i.URL(),
		"sub": sub,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	switch len(audiences) {
	case 0:
	case 1:
		c["aud"] = audiences[0]
	default:
		c["aud"] = audiences
	}
	return c
}

type mintConfig struct {
	alg         string
	kid         *string
	typ         string
	headers     map[string]any
	unpublished bool
}

// TokenOption changes how Mint signs a token.
type TokenOption func(*mintConfig)

// WithAlg signs with the current key of alg (created on first use).
func WithAlg(alg string) TokenOption { return func(c *mintConfig) { c.alg = alg } }

// WithKeyID puts kid in the header instead of the signing key's ID; an
// empty kid leaves the header without one.
func WithKeyID(kid string) TokenOption { return func(c *mintConfig) { c.kid = &kid } }

// WithType sets the typ header, such as "at+jwt".
func WithType(typ string) TokenOption { return func(c *mintConfig) { c.typ = typ } }

// WithHeader adds a protected header parameter (for attack tests: jku,
// x5u, jwk, crit ...).
func WithHeader(name string, value any) TokenOption {
	return func(c *mintConfig) {
		if c.headers == nil {
			c.headers = map[string]any{}
		}
		c.headers[name] = value
	}
}

// WithUnpublishedKey signs with a fresh key that is not in the JWKS, but
// keeps the published key's kid in the header: a forged token.
func WithUnpublishedKey() TokenOption { return func(c *mintConfig) { c.unpublished = true } }

// Mint signs claims as a compact JWT. By default it uses RS256 and the
// current key's kid.
func (i *Issuer) Mint(claims map[string]any, opts ...TokenOption) (string, error) {
	cfg := mintConfig{alg: "RS256"}
	for _, o := range opts {
		o(&cfg)
	}
	i.mu.Lock()
	k := i.current[cfg.alg]
	i.mu.Unlock()
	if k == nil {
		if _, err := i.Rotate(cfg.alg); err != nil {
			return "", err
		}
		i.mu.Lock()
		k = i.current[cfg.alg]
		i.mu.Unlock()
	}
	signer := k.signer
	if cfg.unpublished {
		s, err := generate(cfg.alg)
		if err != nil {
			return "", err
		}
		signer = s
	}
	kid := k.kid
	if cfg.kid != nil {
		kid = *cfg.kid
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return Sign(payload, cfg.alg, signer, kid, cfg.typ, cfg.headers)
}

// MustMint is Mint that fails t on error.
func (i *Issuer) MustMint(t testing.TB, claims map[string]any, opts ...TokenOption) string {
	t.Helper()
	tok, err := i.Mint(claims, opts...)
	if err != nil {
		t.Fatalf("authztest: mint: %v", err)
	}
	return tok
}

// Sign signs payload as a compact JWS (RFC 7515 §7.1): a header with alg,
// kid and typ when not empty, and the extra parameters in headers (which
// win over the others: attack tests may override anything).
func Sign(payload []byte, alg string, signer crypto.Signer, kid, typ string, headers map[string]any) (string, error) {
	h := map[string]any{"alg": alg}
	if kid != "" {
		h["kid"] = kid
	}
	if typ != "" {
		h["typ"] = typ
	}
	for k, v := range headers {
		h[k] = v
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(payload)
	sig, err := signRaw(alg, signer, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

func generate(alg string) (crypto.Signer, error) {
	a := jws.ParseAlg(alg) // the one algorithm table
	switch a.KeyType() {
	case jws.KeyRSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	case jws.KeyEC:
		return ecdsa.GenerateKey(a.Curve(), rand.Reader)
	case jws.KeyOKP:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, errors.New("authztest: unsupported alg " + alg)
}

// misbehave applies the current failure; it reports whether it answered.
func (i *Issuer) misbehave(w http.ResponseWriter, r *http.Request) bool {
	i.mu.Lock()
	f, release := i.failure, i.release
	i.mu.Unlock()
	switch f {
	case Fail5xx:
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return true
	case Hang:
		select {
		case <-r.Context().Done():
		case <-release:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
		return true
	case Garbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys": "not a list"`))
		return true
	}
	return false
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	i.discoveryHits.Add(1)
	if i.misbehave(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.URL(),
		"jwks_uri":                              i.JWKSURL(),
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA"},
	})
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.jwksHits.Add(1)
	if i.misbehave(w, r) {
		return
	}
	i.mu.Lock()
	cc := i.cacheControl
	i.mu.Unlock()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	_, _ = w.Write(i.JWKS())
}

// CurrentKeyID returns the kid of the key that signs alg now ("" when
// there is none yet).
func (i *Issuer) CurrentKeyID(alg string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if k := i.current[alg]; k != nil {
		return k.kid
	}
	return ""
}

// MintRaw signs header and payload exactly as given — raw JSON bytes, not
// re-encoded — with the current key for alg, so tests can send what no
// encoder would produce (duplicate or case-variant member names, invalid
// UTF-8). The header is not checked: put alg and kid in it yourself.
func (i *Issuer) MintRaw(alg string, header, payload []byte) (string, error) {
	if i.CurrentKeyID(alg) == "" {
		if _, err := i.Rotate(alg); err != nil {
			return "", err
		}
	}
	i.mu.Lock()
	k := i.current[alg]
	i.mu.Unlock()
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sig, err := signRaw(alg, k.signer, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// signRaw makes a JWS signature (RFC 7518 §3, RFC 8037 §3.1) over input.
func signRaw(alg string, signer crypto.Signer, input []byte) ([]byte, error) {
	a := jws.ParseAlg(alg)
	h := a.Hash()
	if a == jws.EdDSA {
		return signer.Sign(rand.Reader, input, crypto.Hash(0))
	}
	if h == 0 {
		return nil, errors.New("authztest: unsupported alg " + alg)
	}
	d := h.New()
	d.Write(input)
	digest := d.Sum(nil)
	switch alg[0] {
	case 'R':
		return signer.Sign(rand.Reader, digest, h)
	case 'P':
		return signer.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	case 'E':
		k, ok := signer.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("authztest: ES* needs an ECDSA key")
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, errors.New("authztest: unsupported alg " + alg)
}

var (
	claimsOnce   sync.Once
	claimsIssuer *Issuer
	claimsErr    error
)

// NewClaims returns the *authz.Claims that a Validator produces for claims,
// for unit tests of policies and handlers without HTTP: the claims are
// minted by a shared local Issuer and validated for real, so Scopes,
// Lookup, Map and Decode behave exactly as in production. iss, aud ("api")
// and exp (an hour ahead) are filled in when absent; configure, when given,
// amends the authz.Issuer the token is validated against (ScopeClaims,
// ScopeFormats, ScopeMatching, Check, …). It fails t when the token is
// rejected.
func NewClaims(t testing.TB, claims map[string]any, configure ...func(*authz.Issuer)) *authz.Claims {
	t.Helper()
	claimsOnce.Do(func() { claimsIssuer, claimsErr = New() })
	if claimsErr != nil {
		t.Fatalf("authztest: issuer: %v", claimsErr)
	}
	i := claimsIssuer
	c := i.Claims("user-1", "api")
	for k, v := range claims {
		c[k] = v
	}
	cfg := i.OIDC("api")
	cfg.JWKSURL = i.JWKSURL()
	for _, f := range configure {
		f(&cfg)
	}
	v, err := authz.New([]authz.Issuer{cfg}, authz.WithoutBackground())
	if err != nil {
		t.Fatalf("authztest: validator: %v", err)
	}
	defer v.Close()
	tok, err := i.Mint(c)
	if err != nil {
		t.Fatalf("authztest: mint: %v", err)
	}
	out, err := v.Validate(context.Background(), tok)
	if err != nil {
		t.Fatalf("authztest: the claims do not validate: %v", err)
	}
	return out
}
