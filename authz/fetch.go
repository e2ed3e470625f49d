package authz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/internal/keyring"
	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// Version is jwtguard's version, sent in the User-Agent of every key fetch.
const Version = "0.1.0"

// userAgent is sent on every fetch: some IdPs' key endpoints (Descope's
// among them) refuse requests with a default client User-Agent.
const userAgent = "jwtguard/" + Version

// FetchError describes a failed key or discovery fetch. It is the Cause of
// the ErrKeysUnavailable errors Validate returns, and the error Warm reports.
type FetchError struct {
	// URL that was fetched.
	URL string
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Err is the underlying error.
	Err error
}

func (e *FetchError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("fetch %s: HTTP %d: %v", e.URL, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("fetch %s: %v", e.URL, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// defaultHTTPClient has bounded timeouts at every stage; the per-fetch
// context deadline bounds the whole exchange as well. The redirect rule is
// applied in the fetch path (see redirectChecked), for this client and for
// one given with WithHTTPClient alike.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 4
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// maxRedirects bounds the redirects one fetch follows.
const maxRedirects = 3

// redirectChecked returns a copy of c whose redirects obey the key-URL
// rule: https only (plain http to a loopback host excepted), never from
// https to http, at most maxRedirects; c's own CheckRedirect, if any, runs
// after the rule. The copy shares c's Transport (and so its connections).
func redirectChecked(c *http.Client) *http.Client {
	cc := *c
	user := c.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		if err := checkRedirect(via[len(via)-1].URL.Scheme, req.URL.String()); err != nil {
			return err
		}
		if user != nil {
			return user(req, via)
		}
		return nil
	}
	return &cc
}

// checkRedirect applies the key-URL rule to a redirect from a URL with
// scheme from to target.
func checkRedirect(from, target string) error {
	if err := checkKeyURL(target); err != nil {
		return err
	}
	if from == "https" && !strings.HasPrefix(strings.ToLower(target), "https:") {
		return errors.New("redirect from https to http refused")
	}
	return nil
}

// get fetches url with the fetcher's limits and returns the body and the
// freshness lifetime the response's Cache-Control grants (0 if none, -1
// for the floor). noCache asks caches on the way for a fresh copy.
func (v *Validator) get(ctx context.Context, url string, noCache bool) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, &FetchError{URL: url, Err: err}
	}
	ua := v.userAgent
	if ua == "" {
		ua = userAgent
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	if noCache {
		req.Header.Set("Cache-Control", "no-cache")
	}
	resp, err := v.fetchClient.Do(req)
	if err != nil {
		return nil, 0, &FetchError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	if resp.Request != nil && resp.Request.URL != nil && resp.Request.URL.String() != url {
		// Belt and braces: the client followed redirects; the last hop
		// must obey the rule too (a transport may redirect by itself).
		if err := checkRedirect(req.URL.Scheme, resp.Request.URL.String()); err != nil {
			return nil, 0, &FetchError{URL: url, Err: err}
		}
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, 0, &FetchError{URL: url, StatusCode: resp.StatusCode, Err: errors.New("unexpected status")}
	}
	limit := v.keyOpts.MaxDocumentSize
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, &FetchError{URL: url, StatusCode: resp.StatusCode, Err: err}
	}
	if int64(len(body)) > limit {
		return nil, 0, &FetchError{URL: url, StatusCode: resp.StatusCode, Err: fmt.Errorf("document larger than %d bytes", limit)}
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge returns the max-age of a Cache-Control header, 0 when absent, and
// -1 for no-cache, no-store and max-age=0 (the floor then applies).
func maxAge(cc string) time.Duration {
	var age time.Duration
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-cache" || d == "no-store":
			return -1
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
			switch {
			case err != nil || n < 0:
			case n == 0:
				return -1
			default:
				if n > int64(365*24*time.Hour/time.Second) {
					n = int64(365 * 24 * time.Hour / time.Second)
				}
				age = time.Duration(n) * time.Second
			}
		}
	}
	return age
}

// readPinned reads a pinned key set: the inline JWKS (fresh for MaxTTL) or
// the JWKSFile again (fresh for MinTTL, so a changed file is picked up).
func (v *Validator) readPinned(st *issuerState, out **keySet) (FetchResult, error) {
	body, ttl, src := st.cfg.JWKS, v.keyOpts.MaxTTL, "inline"
	if st.cfg.JWKSFile != "" {
		src = "file://" + st.cfg.JWKSFile
		b, err := readJWKSFile(st.cfg.JWKSFile, v.keyOpts.MaxDocumentSize)
		if err != nil {
			return FetchResult{URL: src}, &FetchError{URL: src, Err: err}
		}
		body, ttl = b, v.keyOpts.MinTTL
	}
	parsed, err := jws.ParseJWKS(body)
	if err != nil {
		return FetchResult{URL: src, Bytes: len(body)}, &FetchError{URL: src, Err: err}
	}
	now := v.now()
	*out = &keySet{Keys: parsed, Raw: body, FetchedAt: now, ExpiresAt: now.Add(ttl), RefreshAt: now.Add(ttl * 4 / 5)}
	return FetchResult{URL: src, Keys: parsed.Len(), Ignored: parsed.Ignored(), Bytes: len(body), TTL: ttl}, nil
}

// parseDiscovery reads the two members jwtguard uses from a discovery
// document, strictly: exact member names ("ISSUER" and "JWKS_URI" are other
// members), no duplicates, valid UTF-8, string types.
func parseDiscovery(body []byte) (issuer, jwksURI string, err error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if strictjson.Kind(body) != '{' {
		return "", "", errors.New("discovery document is not a JSON object")
	}
	if err := strictjson.Decode(body, &doc); err != nil {
		return "", "", err
	}
	return doc.Issuer, doc.JWKSURI, nil
}

// discover fetches the issuer's discovery document and returns its
// jwks_uri.
func (v *Validator) discover(ctx context.Context, st *issuerState) (string, error) {
	u := st.cfg.DiscoveryURL
	body, _, err := v.get(ctx, u, false)
	if err != nil {
		return "", err
	}
	issuer, jwksURI, err := parseDiscovery(body)
	if err != nil {
		return "", &FetchError{URL: u, StatusCode: 200, Err: fmt.Errorf("discovery document is not strict JSON: %w", err)}
	}
	if issuer != st.cfg.URL {
		return "", &FetchError{URL: u, StatusCode: 200, Err: fmt.Errorf("discovery issuer %q does not equal the configured issuer %q", issuer, st.cfg.URL)}
	}
	if jwksURI == "" {
		return "", &FetchError{URL: u, StatusCode: 200, Err: errors.New("discovery document has no jwks_uri")}
	}
	if len(jwksURI) > keyring.MaxURLLength {
		return "", &FetchError{URL: u, StatusCode: 200, Err: errors.New("jwks_uri too long")}
	}
	if err := checkKeyURL(jwksURI); err != nil {
		return "", &FetchError{URL: u, StatusCode: 200, Err: fmt.Errorf("jwks_uri: %w", err)}
	}
	return jwksURI, nil
}

// fetchKeys discovers (when no jwks_uri is known: discovery is due only
// then, and after a failed fetch) and fetches the issuer's JWKS, returning
// the parsed set with its freshness lifetime applied. The Fetch hooks wrap
// it.
func (v *Validator) fetchKeys(ctx context.Context, st *issuerState, req keyring.FetchRequest) (*keySet, error) {
	var ks *keySet
	fetch := func(ctx context.Context, info FetchInfo) (FetchResult, error) {
		if st.cfg.pinned() {
			return v.readPinned(st, &ks)
		}
		url, discovered := st.cfg.JWKSURL, ""
		if url == "" {
			discovered = req.JWKSURI
			if discovered == "" || checkKeyURL(discovered) != nil {
				var err error
				if discovered, err = v.discover(ctx, st); err != nil {
					return FetchResult{}, err
				}
			}
			url = discovered
		}
		body, age, err := v.get(ctx, url, req.NoCache)
		if err != nil {
			return FetchResult{URL: url}, err
		}
		parsed, err := jws.ParseJWKS(body)
		if err != nil {
			return FetchResult{URL: url, Bytes: len(body)}, &FetchError{URL: url, StatusCode: 200, Err: err}
		}
		now := v.now()
		ttl := v.keyOpts.ttl(age)
		ks = &keySet{
			Keys: parsed, Raw: body, JWKSURI: discovered,
			FetchedAt: now, ExpiresAt: now.Add(ttl), RefreshAt: now.Add(ttl * 4 / 5),
		}
		return FetchResult{URL: url, Keys: parsed.Len(), Ignored: parsed.Ignored(), Bytes: len(body), TTL: ttl}, nil
	}
	for i := len(v.fetchHooks) - 1; i >= 0; i-- {
		fetch = v.fetchHooks[i](fetch)
	}
	_, err := fetch(ctx, FetchInfo{Issuer: st.cfg.Name, IssuerURL: st.cfg.URL, Reason: req.Reason})
	if err == nil && ks == nil {
		err = errors.New("fetch hook returned no error but did not call next")
	}
	return ks, err
}
