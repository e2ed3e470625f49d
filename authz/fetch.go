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
// context deadline bounds the whole exchange as well.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 4
	return &http.Client{
		Transport: t,
		Timeout:   30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return checkKeyURL(req.URL.String())
		},
	}
}

// get fetches url with the fetcher's limits and returns the body and the
// freshness lifetime the response's Cache-Control grants (0 if none).
func (v *Validator) get(ctx context.Context, url string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, &FetchError{URL: url, Err: err}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, 0, &FetchError{URL: url, Err: err}
	}
	defer resp.Body.Close()
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
// -1 for no-cache / no-store (the floor then applies).
func maxAge(cc string) time.Duration {
	var age time.Duration
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-cache" || d == "no-store":
			return -1
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
			if err == nil && n > 0 {
				if n > int64(365*24*time.Hour/time.Second) {
					n = int64(365 * 24 * time.Hour / time.Second)
				}
				age = time.Duration(n) * time.Second
			}
		}
	}
	return age
}

// jwksURL returns the issuer's JWKS URL, discovering it when not configured.
// A discovered URL is cached until a fetch from it fails.
func (v *Validator) jwksURL(ctx context.Context, st *issuerState) (string, error) {
	if st.cfg.JWKSURL != "" {
		return st.cfg.JWKSURL, nil
	}
	st.mu.Lock()
	u := st.discovered
	st.mu.Unlock()
	if u != "" {
		return u, nil
	}
	body, _, err := v.get(ctx, st.cfg.DiscoveryURL)
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := strictjson.Decode(body, &doc); err != nil || strictjson.Kind(body) != '{' {
		return "", &FetchError{URL: st.cfg.DiscoveryURL, StatusCode: 200, Err: fmt.Errorf("discovery document is not strict JSON: %w", err)}
	}
	if doc.Issuer != st.cfg.URL {
		return "", &FetchError{URL: st.cfg.DiscoveryURL, StatusCode: 200, Err: fmt.Errorf("discovery issuer %q does not equal the configured issuer %q", doc.Issuer, st.cfg.URL)}
	}
	if doc.JWKSURI == "" {
		return "", &FetchError{URL: st.cfg.DiscoveryURL, StatusCode: 200, Err: errors.New("discovery document has no jwks_uri")}
	}
	if err := checkKeyURL(doc.JWKSURI); err != nil {
		return "", &FetchError{URL: st.cfg.DiscoveryURL, StatusCode: 200, Err: fmt.Errorf("jwks_uri: %w", err)}
	}
	st.mu.Lock()
	st.discovered = doc.JWKSURI
	st.mu.Unlock()
	return doc.JWKSURI, nil
}

// fetchKeys discovers (if needed) and fetches the issuer's JWKS, returning
// the parsed set with its freshness lifetime applied.
func (v *Validator) fetchKeys(ctx context.Context, st *issuerState, reason string) (*keySet, error) {
	var ks *keySet
	fetch := func(ctx context.Context, info FetchInfo) (FetchResult, error) {
		url, err := v.jwksURL(ctx, st)
		if err != nil {
			return FetchResult{}, err
		}
		body, age, err := v.get(ctx, url)
		if err != nil {
			if st.cfg.JWKSURL == "" {
				st.mu.Lock()
				st.discovered = "" // rediscover next time
				st.mu.Unlock()
			}
			return FetchResult{URL: url}, err
		}
		parsed, err := parseJWKS(body)
		if err != nil {
			return FetchResult{URL: url, Bytes: len(body)}, &FetchError{URL: url, StatusCode: 200, Err: err}
		}
		now := v.now()
		ttl := v.keyOpts.ttl(age)
		parsed.fetchedAt = now
		parsed.expiresAt = now.Add(ttl)
		parsed.refreshAt = now.Add(ttl * 4 / 5)
		ks = parsed
		return FetchResult{URL: url, Keys: parsed.len(), Ignored: parsed.set.Ignored(), Bytes: len(body), TTL: ttl}, nil
	}
	for i := len(v.fetchHooks) - 1; i >= 0; i-- {
		fetch = v.fetchHooks[i](fetch)
	}
	_, err := fetch(ctx, FetchInfo{Issuer: st.cfg.Name, IssuerURL: st.cfg.URL, Reason: reason})
	if err == nil && ks == nil {
		err = errors.New("fetch hook returned no error but did not call next")
	}
	return ks, err
}
