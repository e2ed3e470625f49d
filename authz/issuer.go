package authz

import (
	"errors"
	"fmt"
	"github.com/jwtguard/jwtguard/internal/jws"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultAlgorithms are the signature algorithms an Issuer accepts when its
// Algorithms field is empty: the asymmetric JWS algorithms of RFC 7518 §3
// and RFC 8037 §3.1 (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA
// with Ed25519), in the order of jwtguard's one algorithm table. "none" and the HMAC algorithms (HS256/384/512) are never
// accepted, whatever the configuration says: a verifier holding only public
// keys must not treat them as shared secrets (RFC 8725 §2.1, §3.1).
var DefaultAlgorithms = jws.Names()

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat when an
// Issuer's Leeway is zero.
const DefaultLeeway = 30 * time.Second

// Issuer describes one trusted token issuer: which iss values it signs,
// where its keys are, and what its tokens must look like. It is a plain
// value: build it with a preset (OIDC, Auth0, Descope) and amend any field.
//
// Keys belong to one Issuer only: a token is verified with the keys fetched
// for the Issuer its iss names, never with another Issuer's.
type Issuer struct {
	// Name labels the issuer in errors, metrics and logs. Defaults to URL.
	Name string

	// URL is the issuer identifier, compared exactly (byte for byte) with
	// the token's iss claim.
	URL string

	// Aliases are further exact iss values that the same keys sign (for
	// example Descope's several issuer forms). Each is matched exactly.
	Aliases []string

	// Audiences the token's aud must name at least one of. Required unless
	// InsecureSkipAudience is set.
	Audiences []string

	// InsecureSkipAudience accepts any aud, or none. Only for issuers whose
	// tokens carry no audience (Descope's default session tokens): without
	// an audience check, any token of this issuer, minted for any
	// application, is accepted.
	InsecureSkipAudience bool

	// DiscoveryURL is the OpenID Connect discovery document. When JWKSURL is
	// empty, keys are found through it; its issuer must equal URL exactly.
	// Defaults to URL + "/.well-known/openid-configuration".
	DiscoveryURL string

	// JWKSURL, when set, is fetched directly and discovery is skipped.
	JWKSURL string

	// JWKS, when set, is the issuer's JWK Set itself: its keys are pinned
	// and never fetched (no discovery, no JWKSURL) — for air-gapped
	// services, tests and issuers without discovery. New fails on a set
	// with no usable key.
	JWKS []byte

	// JWKSFile, when set, names a file holding the issuer's JWK Set (a
	// mounted Kubernetes secret, say): read by New, which fails if it is
	// missing or holds no usable key, and read again every
	// KeyOptions.MinTTL (at most; sooner for a token whose kid it lacks, once
	// per cooldown), so a changed file is picked up within a minute with the
	// defaults. Never fetched. A file that becomes unreadable keeps the last
	// keys serving, as an IdP outage does.
	JWKSFile string

	// Algorithms allowed in the token's alg header. Defaults to
	// DefaultAlgorithms. "none" and HS* are rejected by New.
	Algorithms []string

	// Leeway tolerated on exp, nbf and iat. Defaults to DefaultLeeway; a
	// negative value means none.
	Leeway time.Duration

	// Types, when not empty, are the accepted values of the typ header,
	// compared case-insensitively, with an optional "application/" prefix
	// ignored (RFC 7515 §4.1.9). Use []string{"at+jwt"} for RFC 9068 access
	// tokens. Empty accepts any typ, or none.
	Types []string

	// ScopeClaims names the claims scopes are read from, in order; each may
	// be a space-delimited string or an array of strings. Defaults to
	// {"scope", "scp"}.
	ScopeClaims []string

	// ScopeFormats declares the JSON type a scope claim must have:
	// ScopeString (one space-delimited string), ScopeArray (an array of
	// strings) or ScopeAny (either). A scope claim of another type makes the
	// token invalid (ErrClaims). Claims not listed get the default:
	// "scope" ScopeString (RFC 8693 §4.2, RFC 9068 §2.2.3), "permissions"
	// and "roles" ScopeArray, any other ScopeAny.
	ScopeFormats map[string]ScopeFormat

	// ScopeMatching is how scope policies that choose no strategy compare
	// this issuer's scopes (Exact, Hierarchic, Wildcard); zero means Exact.
	// A policy's own strategy (authz.Wildcard.RequireScopes(...)) wins.
	ScopeMatching ScopeMatching

	// Check, when set, runs after every standard check passes, for
	// issuer-specific rules (the Descope preset rejects refresh tokens
	// here). Return an error to reject the token; it is wrapped as
	// ErrClaims.
	Check func(*Claims) error
}

// OIDC returns settings for a generic OpenID Connect issuer whose keys are
// found through discovery at issuerURL + "/.well-known/openid-configuration".
// The discovery document's issuer must equal issuerURL exactly, and its
// jwks_uri must be https (plain http is allowed for loopback hosts only, for
// development and tests).
func OIDC(issuerURL string, audiences ...string) Issuer {
	return Issuer{
		URL:       issuerURL,
		Audiences: audiences,
	}
}

// Auth0 returns settings for an Auth0 tenant or custom domain, such as
// "example.us.auth0.com" or "login.example.com". The issuer is
// "https://<domain>/" (the trailing slash is part of Auth0's iss), keys are
// at "https://<domain>/.well-known/jwks.json", and scopes come from the
// space-delimited scope claim and the RBAC permissions array. The audiences
// are the API identifiers the tokens are minted for.
func Auth0(domain string, audiences ...string) Issuer {
	base := "https://" + trimHost(domain) + "/"
	return Issuer{
		Name:        "auth0:" + strings.TrimSuffix(strings.TrimPrefix(base, "https://"), "/"),
		URL:         base,
		Audiences:   audiences,
		JWKSURL:     base + ".well-known/jwks.json",
		ScopeClaims: []string{"scope", "permissions"},
	}
}

// DescopeBaseURL is the default Descope API base URL.
const DescopeBaseURL = "https://api.descope.com"

// Descope returns settings for a Descope project. It accepts the issuer
// forms Descope emits for session tokens: "<base>/<pid>",
// "<base>/v1/apps/<pid>" and the bare project ID; keys are at
// "<base>/<pid>/.well-known/jwks.json". The base URL is the project's
// region's API host (see DescopeBaseURLFor): https://api.descope.com, or
// for instance https://api.use1.descope.com for a regional project. Project-level
// roles and permissions, and the tenants map, are read by the policy API;
// refresh tokens (drn "DSR") are rejected.
//
// Descope session tokens carry no aud by default. With no audiences given,
// the preset sets InsecureSkipAudience: any session token of the project is
// accepted. Pass audiences (usually the project ID, when a JWT template
// adds aud) to require them.
func Descope(projectID string, audiences ...string) Issuer {
	return DescopeAt(DescopeBaseURLFor(projectID), projectID, audiences...)
}

// DescopeBaseURLFor returns the API base URL of a Descope project, derived
// from its ID as Descope's own SDKs do: an ID of 32 characters or more
// carries its region in characters 1–4 ("Puse1…" is served by
// https://api.use1.descope.com, "Peuc1…" by https://api.euc1.descope.com);
// shorter IDs, and any whose region is not lower-case letters and digits,
// use DescopeBaseURL.
func DescopeBaseURLFor(projectID string) string {
	if len(projectID) < 32 {
		return DescopeBaseURL
	}
	region := projectID[1:5]
	for _, c := range []byte(region) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return DescopeBaseURL
		}
	}
	return "https://api." + region + ".descope.com"
}

// DescopeAt is Descope for a custom domain or another base URL, such as
// "https://auth.example.com": every issuer form and the keys URL use
// baseURL in place of https://api.descope.com.
func DescopeAt(baseURL, projectID string, audiences ...string) Issuer {
	base := strings.TrimSuffix(baseURL, "/")
	return Issuer{
		Name:                 "descope:" + projectID,
		URL:                  base + "/" + projectID,
		Aliases:              []string{base + "/v1/apps/" + projectID, projectID},
		Audiences:            audiences,
		InsecureSkipAudience: len(audiences) == 0,
		JWKSURL:              base + "/" + projectID + "/.well-known/jwks.json",
		ScopeClaims:          []string{"scope", "permissions"},
		ScopeFormats:         map[string]ScopeFormat{"scope": ScopeAny},
		Check:                rejectDescopeRefresh,
	}
}

func rejectDescopeRefresh(c *Claims) error {
	var drn string
	if ok, _ := c.lookupString("drn", &drn); ok && drn == "DSR" {
		return errors.New("descope refresh token (drn DSR) is not an access token")
	}
	return nil
}

// ScopeFormat is the JSON type a scope claim must have (see
// Issuer.ScopeFormats).
type ScopeFormat uint8

// Scope claim formats.
const (
	// ScopeDefault picks the format from the claim's name (see
	// Issuer.ScopeFormats).
	ScopeDefault ScopeFormat = iota
	// ScopeAny accepts a space-delimited string or an array of strings.
	ScopeAny
	// ScopeString accepts only a space-delimited string. Items are
	// separated by U+0020 alone (RFC 6749 §3.3): a tab, newline, NBSP or
	// other white space or control character inside the string makes the
	// claim malformed.
	ScopeString
	// ScopeArray accepts only an array of strings.
	ScopeArray
)

// scopeClaim is a scope claim's name with its format resolved.
type scopeClaim struct {
	name   string
	format ScopeFormat
}

func defaultScopeFormat(name string) ScopeFormat {
	switch name {
	case "scope":
		return ScopeString
	case "permissions", "roles":
		return ScopeArray
	}
	return ScopeAny
}

// issuerConfig is an Issuer checked and with defaults applied.
type issuerConfig struct {
	Issuer
	algs        map[string]bool
	types       []string
	scopeClaims []scopeClaim
	leeway      time.Duration
}

func (is Issuer) compile() (*issuerConfig, error) {
	fail := func(format string, args ...any) (*issuerConfig, error) {
		name := is.URL
		if is.Name != "" {
			name = is.Name
		}
		return nil, fmt.Errorf("authz: issuer %q: "+format, append([]any{name}, args...)...)
	}
	if is.URL == "" {
		return fail("URL is empty")
	}
	if is.Name == "" {
		is.Name = is.URL
	}
	if len(is.Audiences) == 0 && !is.InsecureSkipAudience {
		return fail("no audiences: set Audiences, or InsecureSkipAudience to accept tokens minted for any audience")
	}
	for _, a := range is.Audiences {
		if a == "" {
			return fail("empty audience")
		}
	}
	if is.ScopeMatching > Wildcard {
		return fail("unknown ScopeMatching %d", is.ScopeMatching)
	}
	c := &issuerConfig{Issuer: is, algs: map[string]bool{}}
	sources := 0
	for _, set := range []bool{is.JWKSURL != "", is.JWKS != nil, is.JWKSFile != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return fail("set at most one of JWKSURL, JWKS and JWKSFile")
	}
	switch {
	case is.JWKS != nil:
		if _, err := jws.ParseJWKS(is.JWKS); err != nil {
			return fail("JWKS: %v", err)
		}
		c.JWKS = append([]byte(nil), is.JWKS...) // the caller's slice may change
	case is.JWKSFile != "":
		b, err := readJWKSFile(is.JWKSFile, defaultMaxDocumentSize)
		if err != nil {
			return fail("JWKSFile: %v", err)
		}
		if _, err := jws.ParseJWKS(b); err != nil {
			return fail("JWKSFile %s: %v", is.JWKSFile, err)
		}
	case is.JWKSURL != "":
		if err := checkKeyURL(is.JWKSURL); err != nil {
			return fail("JWKSURL: %v", err)
		}
	default:
		if c.DiscoveryURL == "" {
			c.DiscoveryURL = strings.TrimSuffix(is.URL, "/") + "/.well-known/openid-configuration"
		}
		if err := checkKeyURL(c.DiscoveryURL); err != nil {
			return fail("discovery URL: %v", err)
		}
	}
	algs := is.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	for _, a := range algs {
		if !supportedAlg(a) {
			return fail("algorithm %q is not allowed (only RS*, PS*, ES*, EdDSA; never none or HS*)", a)
		}
		c.algs[a] = true
	}
	c.Algorithms = append([]string(nil), algs...)
	for _, t := range is.Types {
		c.types = append(c.types, normalizeType(t))
	}
	names := is.ScopeClaims
	if len(names) == 0 {
		names = []string{"scope", "scp"}
	}
	for _, n := range names {
		f := is.ScopeFormats[n]
		if f > ScopeArray {
			return fail("unknown ScopeFormat %d for %q", f, n)
		}
		if f == ScopeDefault {
			f = defaultScopeFormat(n)
		}
		c.scopeClaims = append(c.scopeClaims, scopeClaim{name: n, format: f})
	}
	switch {
	case is.Leeway == 0:
		c.leeway = DefaultLeeway
	case is.Leeway < 0:
		c.leeway = 0
	default:
		c.leeway = is.Leeway
	}
	return c, nil
}

// pinned reports whether the issuer's keys are given, not fetched.
func (c *issuerConfig) pinned() bool { return c.JWKS != nil || c.JWKSFile != "" }

// readJWKSFile reads a pinned key file, at most limit bytes.
func readJWKSFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// issuers returns every iss value this issuer answers to.
func (c *issuerConfig) issuers() []string {
	return append([]string{c.URL}, c.Aliases...)
}

func supportedAlg(a string) bool { return jws.ParseAlg(a).Valid() }

// normalizeType lower-cases a typ value and strips "application/", as RFC
// 7515 §4.1.9 recommends comparing.
func normalizeType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	return strings.TrimPrefix(t, "application/")
}

// checkKeyURL requires https, except for loopback hosts, which may use plain
// http for development and tests.
func checkKeyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q must use https (plain http only for loopback hosts)", raw)
	}
	return fmt.Errorf("%q: scheme must be https", raw)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
