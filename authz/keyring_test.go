package authz_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

// sharedStore is a memory store that declares itself writable by other
// processes, as the Redis store does.
type sharedStore struct{ *memory.Store }

func (sharedStore) Shared() bool { return true }

// TestNewRejectsInvalidOptions: every invalid configuration is an error
// from New, all of them joined; none panics or is clamped silently.
func TestNewRejectsInvalidOptions(t *testing.T) {
	iss := authztest.NewT(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		name string
		opts []authz.Option
		want []string // substrings of the joined error, one per problem
	}{
		{name: "valid", opts: []authz.Option{authz.WithStore(sharedStore{memory.New()}), authz.WithStoreSecret(secret)}},
		{name: "nil option", opts: []authz.Option{nil}, want: []string{"option 0 is nil"}},
		{name: "nil clock", opts: []authz.Option{authz.WithClock(nil)}, want: []string{"WithClock"}},
		{name: "nil store", opts: []authz.Option{authz.WithStore(nil)}, want: []string{"WithStore"}},
		{name: "nil client", opts: []authz.Option{authz.WithHTTPClient(nil)}, want: []string{"WithHTTPClient"}},
		{name: "token size", opts: []authz.Option{authz.WithMaxTokenSize(0)}, want: []string{"WithMaxTokenSize"}},
		{name: "MinTTL > MaxTTL", opts: []authz.Option{authz.WithKeyOptions(authz.KeyOptions{MinTTL: time.Hour, MaxTTL: time.Minute})}, want: []string{"MinTTL"}},
		{name: "RetryMax < RetryMin", opts: []authz.Option{authz.WithKeyOptions(authz.KeyOptions{RetryMin: time.Minute, RetryMax: time.Second})}, want: []string{"RetryMax"}},
		{name: "negative FetchTimeout", opts: []authz.Option{authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: -time.Second})}, want: []string{"FetchTimeout"}},
		{name: "DefaultTTL outside bounds", opts: []authz.Option{authz.WithKeyOptions(authz.KeyOptions{DefaultTTL: 48 * time.Hour})}, want: []string{"DefaultTTL"}},
		{name: "short secret", opts: []authz.Option{authz.WithStore(memory.New()), authz.WithStoreSecret([]byte("short"))}, want: []string{"WithStoreSecret"}},
		{name: "no secret", opts: []authz.Option{authz.WithStore(memory.New()), authz.WithStoreSecret()}, want: []string{"WithStoreSecret"}},
		{name: "shared store without a secret", opts: []authz.Option{authz.WithStore(sharedStore{memory.New()})}, want: []string{"WithStoreSecret"}},
		{name: "shared store, knowingly insecure", opts: []authz.Option{authz.WithStore(sharedStore{memory.New()}), authz.InsecureStoreWithoutSecret()}},
		{name: "negative token cache bound", opts: []authz.Option{authz.WithTokenCache(authz.TokenCacheOptions{MaxEntries: -1})}, want: []string{"WithTokenCache"}},
		{name: "memory store needs no secret", opts: []authz.Option{authz.WithStore(memory.New())}},
		{name: "all at once", opts: []authz.Option{nil, authz.WithClock(nil), authz.WithStore(sharedStore{memory.New()}),
			authz.WithKeyOptions(authz.KeyOptions{MinTTL: time.Hour, MaxTTL: time.Minute, RetryMin: time.Minute, RetryMax: time.Second, StoreTimeout: -1})},
			want: []string{"option 0 is nil", "WithClock", "MinTTL", "RetryMax", "StoreTimeout", "WithStoreSecret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v *authz.Validator
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("New panicked: %v", p)
					}
				}()
				v, err = authz.New([]authz.Issuer{iss.OIDC("api")}, append(tt.opts, authz.WithoutBackground())...)
			}()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New = %v, want nil", err)
				}
				v.Close()
				return
			}
			if err == nil || v != nil {
				t.Fatalf("New = %v, %v; want nil and an error", v, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestMaxAgeZeroMeansFloor: max-age=0 gets MinTTL, not the default.
func TestMaxAgeZeroMeansFloor(t *testing.T) {
	iss := authztest.NewT(t, authztest.WithCacheControl("max-age=0"))
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	if err := v.Warm(bg); err != nil {
		t.Fatal(err)
	}
	st := v.Status()[0]
	if got := st.ExpiresAt.Sub(st.FetchedAt); got != time.Minute {
		t.Fatalf("lifetime for max-age=0 = %v, want the 1m floor", got)
	}
}

// countingJWKSServer serves iss's JWKS and records each request's Cache-Control.
func countingJWKSServer(t *testing.T, iss *authztest.Issuer) (*httptest.Server, *atomic.Int64, *atomic.Int64) {
	var n, noCache atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Cache-Control") == "no-cache" {
			noCache.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(iss.JWKS())
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &noCache
}

// TestUnknownKidRefetchNoCache: the refetch for an unknown kid asks caches
// for a fresh copy; the load does not.
func TestUnknownKidRefetchNoCache(t *testing.T) {
	iss := authztest.NewT(t)
	srv, n, noCache := countingJWKSServer(t, iss)
	is := iss.OIDC("api")
	is.JWKSURL = srv.URL + "/jwks"
	v := newValidator(t, []authz.Issuer{is})
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"), authztest.WithKeyID("other"))); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	if n.Load() != 2 || noCache.Load() != 1 {
		t.Fatalf("%d fetches, %d with no-cache; want 2, 1", n.Load(), noCache.Load())
	}
}

// TestRedirectRuleAnyClient: with a client of the user's own, an https key
// URL that redirects to plain http is refused, and the http host is never
// asked.
func TestRedirectRuleAnyClient(t *testing.T) {
	iss := authztest.NewT(t)
	plain, plainHits, _ := countingJWKSServer(t, iss)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/jwks", http.StatusFound)
	}))
	defer tlsSrv.Close()
	is := iss.OIDC("api")
	is.JWKSURL = tlsSrv.URL + "/jwks"
	v := newValidator(t, []authz.Issuer{is}, authz.WithHTTPClient(tlsSrv.Client()))
	_, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api")))
	if !errors.Is(err, authz.ErrKeysUnavailable) || !strings.Contains(err.Error(), "https to http") {
		t.Fatalf("https→http redirect: %v, want ErrKeysUnavailable naming the redirect", err)
	}
	if plainHits.Load() != 0 {
		t.Fatalf("the plain-http host was asked %d times", plainHits.Load())
	}
	if tlsSrv.Client().CheckRedirect != nil {
		t.Fatal("the user's client was changed")
	}
}

// TestCloseKeepsOnDemandFetching: after Close, Validate still fetches the
// keys it needs.
func TestCloseKeepsOnDemandFetching(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatalf("Validate after Close: %v", err)
	}
}

// TestReAddedIssuerOwnFetch: an issuer removed while its fetch hangs and
// added again fetches on its own, instead of joining the hung fetch.
func TestReAddedIssuerOwnFetch(t *testing.T) {
	iss := authztest.NewT(t)
	iss.SetFailure(authztest.Hang)
	keys := fastKeys
	keys.FetchTimeout = time.Minute
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithKeyOptions(keys))
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	if _, err := v.Validate(ctx, mint(t, iss, iss.Claims("u", "api"))); !errors.Is(err, authz.ErrKeysUnavailable) {
		t.Fatalf("hung IdP: %v", err)
	}
	if !v.RemoveIssuer(iss.URL()) {
		t.Fatal("RemoveIssuer = false")
	}
	iss.SetFailure(authztest.Healthy)
	if err := v.AddIssuer(iss.OIDC("api")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if _, err := v.Validate(ctx, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatalf("re-added issuer: %v", err)
	}
}

// TestStoreRejectionsCounted: a forged document in the store is refused,
// counted in Status and reported to the hook, and the IdP's keys are used.
func TestStoreRejectionsCounted(t *testing.T) {
	iss := authztest.NewT(t)
	store := memory.New()
	var hooked atomic.Int64
	if err := store.Put(bg, "jwks:"+iss.URL(), []byte(`{"v":1,"iss":"`+iss.URL()+`","jwks":{"keys":[]}}`), 0); err != nil {
		t.Fatal(err)
	}
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithStore(store),
		authz.WithStoreSecret([]byte("0123456789abcdef0123456789abcdef")),
		authz.WithHooks(authz.Hooks{StoreRejected: func(r authz.StoreRejection) {
			if r.Reason == "mac" && r.IssuerURL == iss.URL() {
				hooked.Add(1)
			}
		}}))
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatal(err)
	}
	st := v.Status()[0]
	if st.RejectedDocuments != 1 || st.LastRejectReason != "mac" || hooked.Load() != 1 {
		t.Fatalf("status %d rejected (%q), hook %d; want 1 mac, 1", st.RejectedDocuments, st.LastRejectReason, hooked.Load())
	}
	if iss.JWKSRequests() != 1 {
		t.Fatalf("JWKS requests = %d, want 1", iss.JWKSRequests())
	}
}

// TestCloseClosesIdleConnections: Close closes the idle connections of the
// HTTP client New made, so Validators created and closed leave no
// connection goroutines behind.
func TestCloseClosesIdleConnections(t *testing.T) {
	iss := authztest.NewT(t)
	token := mint(t, iss, iss.Claims("u", "api"))
	base := runtime.NumGoroutine()
	for range 20 {
		v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Validate(bg, token); err != nil {
			t.Fatal(err)
		}
		_ = v.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+6 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after 20 Validators were closed, %d before", runtime.NumGoroutine(), base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
