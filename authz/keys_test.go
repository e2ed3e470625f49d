package authz_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func TestRotationOneFetch(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	if err := v.Warm(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(bg, mint(t, iss, iss.Claims("u", "api"))); err != nil {
		t.Fatal(err)
	}
	before := iss.JWKSRequests()
	if _, err := iss.Rotate("RS256"); err != nil {
		t.Fatal(err)
	}
	tok := mint(t, iss, iss.Claims("u", "api"))
	for i := 0; i < 3; i++ {
		if _, err := v.Validate(bg, tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if got := iss.JWKSRequests() - before; got != 1 {
		t.Fatalf("JWKS fetches after rotation = %d, want 1", got)
	}
}

func TestConcurrentUnknownKidOneFetch(t *testing.T) {
	iss := authztest.NewT(t)
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	if err := v.Warm(bg); err != nil {
		t.Fatal(err)
	}
	before := iss.JWKSRequests()
	if _, err := iss.Rotate("ES256"); err != nil {
		t.Fatal(err)
	}
	rotated := mint(t, iss, iss.Claims("u", "api"), authztest.WithAlg("ES256"))
	bogus := mint(t, iss, iss.Claims("u", "api"), authztest.WithKeyID("bogus"))

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := v.Validate(bg, rotated); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("rotated kid rejected: %v", err)
	}
	if got := iss.JWKSRequests() - before; got != 1 {
		t.Fatalf("JWKS fetches = %d, want exactly 1", got)
	}

	// A flood of one unknown kid: within the cooldown, no further fetch.
	before = iss.JWKSRequests()
	var wg2 sync.WaitGroup
	for i := 0; i < n; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if _, err := v.Validate(bg, bogus); !errors.Is(err, authz.ErrUnknownKey) {
				t.Errorf("bogus kid: err = %v", err)
			}
		}()
	}
	wg2.Wait()
	if got := iss.JWKSRequests() - before; got > 1 {
		t.Fatalf("JWKS fetches for a bogus kid flood = %d, want at most 1", got)
	}
}

func TestUnknownKidCooldown(t *testing.T) {
	iss := authztest.NewT(t)
	clock := newClock()
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithClock(clock.Now))
	if err := v.Warm(bg); err != nil {
		t.Fatal(err)
	}
	claims := func() map[string]any {
		c := iss.Claims("u", "api")
		c["exp"] = clock.Now().Add(time.Hour).Unix()
		c["iat"] = clock.Now().Unix()
		return c
	}
	base := iss.JWKSRequests()
	for i := 0; i < 50; i++ { // distinct random kids
		tok := mint(t, iss, claims(), authztest.WithKeyID("kid-"+string(rune('a'+i%26))+string(rune('a'+i/26))))
		if _, err := v.Validate(bg, tok); !errors.Is(err, authz.ErrUnknownKey) {
			t.Fatalf("err = %v", err)
		}
	}
	if got := iss.JWKSRequests() - base; got != 1 {
		t.Fatalf("fetches within one cooldown = %d, want 1", got)
	}
	clock.Add(6 * time.Second) // past the 5 s default cooldown
	if _, err := v.Validate(bg, mint(t, iss, claims(), authztest.WithKeyID("another"))); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("err = %v", err)
	}
	if got := iss.JWKSRequests() - base; got != 2 {
		t.Fatalf("fetches after cooldown = %d, want 2", got)
	}
	// Within the cooldown, the kid just missed is rejected without a fetch.
	clock.Add(4 * time.Second)
	if _, err := v.Validate(bg, mint(t, iss, claims(), authztest.WithKeyID("another"))); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("err = %v", err)
	}
	if got := iss.JWKSRequests() - base; got != 2 {
		t.Fatalf("fetches for a kid missed within the cooldown = %d, want 2", got)
	}
	// It is remembered only until the cooldown ends: it may then trigger
	// the next allowed refresh (a key published meanwhile is accepted).
	clock.Add(2 * time.Second)
	if _, err := v.Validate(bg, mint(t, iss, claims(), authztest.WithKeyID("another"))); !errors.Is(err, authz.ErrUnknownKey) {
		t.Fatalf("err = %v", err)
	}
	if got := iss.JWKSRequests() - base; got != 3 {
		t.Fatalf("fetches for a kid after the cooldown = %d, want 3", got)
	}
}

func TestOutage(t *testing.T) {
	iss := authztest.NewT(t)
	clock := newClock()
	opts := fastKeys
	opts.MaxStale = time.Hour
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithClock(clock.Now), authz.WithKeyOptions(opts))
	claims := func() map[string]any {
		c := iss.Claims("u", "api")
		c["exp"] = clock.Now().Add(time.Hour).Unix()
		c["iat"] = clock.Now().Unix()
		return c
	}
	if _, err := v.Validate(bg, mint(t, iss, claims())); err != nil {
		t.Fatal(err)
	}
	iss.SetFailure(authztest.Fail5xx)

	// Past freshness (max-age 300 s), within MaxStale: cached keys serve.
	clock.Add(10 * time.Minute)
	for i := 0; i < 5; i++ {
		if _, err := v.Validate(bg, mint(t, iss, claims())); err != nil {
			t.Fatalf("stale keys should serve during an outage: %v", err)
		}
	}
	// Past MaxStale: 503.
	clock.Add(2 * time.Hour)
	_, err := v.Validate(bg, mint(t, iss, claims()))
	if !errors.Is(err, authz.ErrKeysUnavailable) || errors.Is(err, authz.ErrInvalidToken) {
		t.Fatalf("after the staleness limit: err = %v, want ErrKeysUnavailable only", err)
	}
	var fe *authz.FetchError
	if !errors.As(err, &fe) || fe.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("cause = %v, want a FetchError with status 503", err)
	}
	// IdP back: within the back-off (on the Validator's clock) no fetch;
	// after it, recovers by itself.
	iss.SetFailure(authztest.Healthy)
	before := iss.JWKSRequests()
	if _, err = v.Validate(bg, mint(t, iss, claims())); !errors.Is(err, authz.ErrKeysUnavailable) {
		t.Fatalf("within the back-off: err = %v, want ErrKeysUnavailable", err)
	}
	if got := iss.JWKSRequests() - before; got != 0 {
		t.Fatalf("within the back-off: %d fetches, want 0", got)
	}
	clock.Add(opts.RetryMax)
	if _, err = v.Validate(bg, mint(t, iss, claims())); err != nil {
		t.Fatalf("did not recover after the back-off: %v", err)
	}
}

func TestNothingCached(t *testing.T) {
	for _, f := range []authztest.Failure{authztest.Fail5xx, authztest.Garbage, authztest.Hang} {
		t.Run(map[authztest.Failure]string{authztest.Fail5xx: "5xx", authztest.Garbage: "garbage", authztest.Hang: "hang"}[f], func(t *testing.T) {
			iss := authztest.NewT(t)
			iss.SetFailure(f)
			v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
			ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := v.Validate(ctx, mint(t, iss, iss.Claims("u", "api")))
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, authz.ErrKeysUnavailable) {
					t.Fatalf("err = %v, want ErrKeysUnavailable", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Validate did not return: unbounded wait")
			}
		})
	}
}

func TestDiscovery(t *testing.T) {
	var srvURL string
	docs := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	srvURL = srv.URL
	iss := authztest.NewT(t)
	docs["/good/.well-known/openid-configuration"] = `{"issuer":"` + srvURL + `/good","jwks_uri":"` + iss.JWKSURL() + `"}`
	docs["/mismatch/.well-known/openid-configuration"] = `{"issuer":"` + srvURL + `/other","jwks_uri":"` + iss.JWKSURL() + `"}`
	docs["/http/.well-known/openid-configuration"] = `{"issuer":"` + srvURL + `/http","jwks_uri":"http://keys.example.com/jwks"}`
	docs["/nojwks/.well-known/openid-configuration"] = `{"issuer":"` + srvURL + `/nojwks"}`
	docs["/garbage/.well-known/openid-configuration"] = `not json`

	tests := []struct {
		path    string
		wantErr error
	}{
		{"/good", nil},
		{"/mismatch", authz.ErrKeysUnavailable},
		{"/http", authz.ErrKeysUnavailable},
		{"/nojwks", authz.ErrKeysUnavailable},
		{"/garbage", authz.ErrKeysUnavailable},
		{"/missing", authz.ErrKeysUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			u := srvURL + tt.path
			v := newValidator(t, []authz.Issuer{authz.OIDC(u, "api")})
			c := iss.Claims("u", "api")
			c["iss"] = u
			_, err := v.Validate(bg, mint(t, iss, c))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCacheControl(t *testing.T) {
	iss := authztest.NewT(t, authztest.WithCacheControl("max-age=7200"))
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
	if err := v.Warm(bg); err != nil {
		t.Fatal(err)
	}
	st := v.Status()[0]
	if got := st.ExpiresAt.Sub(st.FetchedAt); got != 2*time.Hour {
		t.Fatalf("TTL = %v, want max-age 2h", got)
	}
	for _, tc := range []struct {
		cc   string
		want time.Duration
	}{
		{"max-age=1", time.Minute},            // floor
		{"max-age=999999999", 24 * time.Hour}, // ceiling
		{"no-store", time.Minute},
		{"", 15 * time.Minute},
		{"public, max-age=600, must-revalidate", 10 * time.Minute},
	} {
		iss.SetCacheControl(tc.cc)
		v := newValidator(t, []authz.Issuer{iss.OIDC("api")})
		if err := v.Warm(bg); err != nil {
			t.Fatal(err)
		}
		st := v.Status()[0]
		if got := st.ExpiresAt.Sub(st.FetchedAt); got != tc.want {
			t.Errorf("Cache-Control %q: TTL = %v, want %v", tc.cc, got, tc.want)
		}
	}
}

func TestBackgroundRefreshAndClose(t *testing.T) {
	before := runtime.NumGoroutine()
	iss := authztest.NewT(t)
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithKeyOptions(authz.KeyOptions{MinTTL: 200 * time.Millisecond, MaxTTL: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	// The background loop fetches at start and again before expiry.
	deadline := time.Now().Add(10 * time.Second)
	for iss.JWKSRequests() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("background refresh did not run: %d fetches", iss.JWKSRequests())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A hanging IdP must not keep goroutines alive after Close.
	iss.SetFailure(authztest.Hang)
	time.Sleep(300 * time.Millisecond)
	v.Close()
	iss.SetFailure(authztest.Healthy)
	iss.Close()
	http.DefaultClient.CloseIdleConnections()
	deadline = time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before+1 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after Close\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
