package forwardauth

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
)

const aud = "https://api.example.com"

// testConfig is the configuration the handler tests use, for the issuer
// at issuerURL.
func testConfig(issuerURL, extra string) string {
	return fmt.Sprintf(`
issuers:
  - issuer: %s
    audiences: [%s]
retry_after: 7s
rules:
  - name: public
    paths: [/public/*]
    anonymous: true
  - name: admin
    hosts: [admin.example.com]
    scopes: [admin]
  - name: api-read
    methods: [GET]
    paths: [/api/*]
    scopes: [read:messages]
%s`, issuerURL, aud, extra)
}

func newAuthorizer(t testing.TB, yaml string, opts ...Option) *Authorizer {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), WithWarmWait(2 * time.Second)}, opts...)
	a, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// ask sends one check request to the endpoint for method host uri, the
// way each proxy would.
func ask(h http.Handler, endpoint, method, host, uri, token string, extra http.Header) *httptest.ResponseRecorder {
	var req *http.Request
	switch endpoint {
	case "nginx":
		req = httptest.NewRequest("GET", PathNginx, nil)
		req.Header.Set("X-Original-Method", method)
		req.Header.Set("X-Original-URL", "https://"+host+uri)
		req.Header.Set("X-Original-URI", uri)
	case "forward":
		req = httptest.NewRequest("GET", PathForward, nil)
		req.Header.Set("X-Forwarded-Method", method)
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("X-Forwarded-Uri", uri)
	case "envoy":
		req = httptest.NewRequest(method, "http://"+host+"/", nil)
		req.RequestURI = PathEnvoy + uri
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range extra {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestDecisions(t *testing.T) {
	idp := authztest.NewT(t)
	a := newAuthorizer(t, testConfig(idp.URL(), `identity_headers:
  - {header: X-Auth-Request-User, claim: sub}
  - {header: X-Auth-Request-Email, claim: email}
  - {header: X-Auth-Request-Scopes, claim: $scopes}
  - {header: X-Auth-Request-Tenant, claim: tenant}
  - {header: X-Roles, claim: "https://example.com/roles"}
  - {header: X-Org, claim: org.id}
  - {header: X-Missing, claim: nope}
`))
	mint := func(scope string) string {
		c := idp.Claims("alice", aud)
		c["scope"] = scope
		c["email"] = "alice@example.com"
		c["tenant"] = "acme"
		c["https://example.com/roles"] = []string{"a", "b"}
		c["org"] = map[string]any{"id": 42}
		return idp.MustMint(t, c)
	}
	read, write, admin := mint("read:messages"), mint("write:messages"), mint("admin read:messages")
	expired := func() string {
		c := idp.Claims("alice", aud)
		c["exp"] = time.Now().Add(-time.Hour).Unix()
		return idp.MustMint(t, c)
	}()

	tests := []struct {
		name                     string
		method, host, uri, token string
		extra                    http.Header
		status                   int
		challenge                string // WWW-Authenticate, exactly
		user                     string // X-Auth-Request-User
	}{
		{name: "good token", method: "GET", host: "api.example.com", uri: "/api/messages?page=2", token: read, status: 200, user: "alice"},
		{name: "no token", method: "GET", host: "api.example.com", uri: "/api/messages", status: 401, challenge: `Bearer realm="jwtguard"`},
		{name: "expired", method: "GET", host: "api.example.com", uri: "/api/messages", token: expired, status: 401,
			challenge: `Bearer realm="jwtguard", error="invalid_token", error_description="token has expired"`},
		{name: "missing scope", method: "GET", host: "api.example.com", uri: "/api/messages", token: write, status: 403,
			challenge: `Bearer realm="jwtguard", error="insufficient_scope", scope="read:messages"`},
		{name: "anonymous route", method: "POST", host: "api.example.com", uri: "/public/x", status: 200},
		{name: "anonymous route sends no identity", method: "GET", host: "api.example.com", uri: "/public/x", token: read, status: 200},
		{name: "host rule", method: "DELETE", host: "ADMIN.example.com:443", uri: "/users/1", token: admin, status: 200, user: "alice"},
		{name: "host rule without scope", method: "DELETE", host: "admin.example.com", uri: "/users/1", token: read, status: 403,
			challenge: `Bearer realm="jwtguard", error="insufficient_scope", scope="admin"`},
		{name: "no rule: deny by default", method: "POST", host: "api.example.com", uri: "/api/messages", token: admin, status: 403},
		{name: "dot-dot out of an anonymous route", method: "GET", host: "api.example.com", uri: "/public/../api/messages", status: 401, challenge: `Bearer realm="jwtguard"`},
		{name: "encoded dot-dot out of an anonymous route", method: "GET", host: "api.example.com", uri: "/public/%2e%2e/api/messages", status: 401, challenge: `Bearer realm="jwtguard"`},
		{name: "double slashes", method: "GET", host: "api.example.com", uri: "//api//messages", token: read, status: 200, user: "alice"},
		{name: "encoded slash refused", method: "GET", host: "api.example.com", uri: "/public%2F..%2Fapi/messages", status: 403},
		{name: "path parameter refused", method: "GET", host: "api.example.com", uri: "/public/x;/../../api/messages", status: 403},
		{name: "dot-dot above the root refused", method: "GET", host: "api.example.com", uri: "/../public/x", status: 403},
		{name: "two Authorization headers", method: "GET", host: "api.example.com", uri: "/api/messages", token: read,
			extra: http.Header{"Authorization": {"Bearer " + read}}, status: 401,
			challenge: `Bearer realm="jwtguard", error="invalid_token", error_description="token is malformed"`},
		{name: "client-sent identity is not echoed", method: "GET", host: "api.example.com", uri: "/api/messages", token: read,
			extra: http.Header{"X-Auth-Request-User": {"mallory"}}, status: 200, user: "alice"},
	}
	for _, endpoint := range []string{"nginx", "forward", "envoy"} {
		for _, tt := range tests {
			t.Run(endpoint+"/"+tt.name, func(t *testing.T) {
				rec := ask(a, endpoint, tt.method, tt.host, tt.uri, tt.token, tt.extra)
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
				}
				if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
					t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
				}
				if got := rec.Header().Get("X-Auth-Request-User"); got != tt.user {
					t.Errorf("X-Auth-Request-User = %q, want %q", got, tt.user)
				}
				if tt.user != "" {
					h := rec.Header()
					if h.Get("X-Auth-Request-Email") != "alice@example.com" || h.Get("X-Auth-Request-Tenant") != "acme" || h.Get("X-Auth-Request-Scopes") == "" ||
						h.Get("X-Roles") != "a,b" || h.Get("X-Org") != "42" || h.Get("X-Missing") != "" {
						t.Errorf("identity headers: %v", h)
					}
				}
			})
		}
	}
}

// TestOneHeaderSet: each endpoint reads its proxy's headers only; the
// other set, which a client may send, never decides.
func TestOneHeaderSet(t *testing.T) {
	idp := authztest.NewT(t)
	a := newAuthorizer(t, testConfig(idp.URL(), ""))
	tests := []struct {
		name   string
		path   string
		header http.Header
		want   int
	}{
		{"nginx ignores X-Forwarded-*", PathNginx, http.Header{
			"X-Original-Method": {"GET"}, "X-Original-Uri": {"/api/messages"},
			"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/public/x"}}, 401},
		{"forward ignores X-Original-*", PathForward, http.Header{
			"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/api/messages"}, "X-Forwarded-Host": {"api.example.com"},
			"X-Original-Method": {"GET"}, "X-Original-Uri": {"/public/x"}, "X-Original-Url": {"https://x/public/x"}}, 401},
		{"nginx: URI and URL disagree", PathNginx, http.Header{
			"X-Original-Method": {"GET"}, "X-Original-Uri": {"/api/messages"}, "X-Original-Url": {"https://x/public/x"}}, 500},
		{"nginx: header missing", PathNginx, http.Header{"X-Original-Method": {"GET"}}, 500},
		{"nginx: header twice", PathNginx, http.Header{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/public/x", "/api/x"}}, 500},
		{"forward: host list", PathForward, http.Header{
			"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/public/x"}, "X-Forwarded-Host": {"a, b"}}, 500},
		{"envoy endpoint reads the request itself", PathEnvoy + "/public/x", nil, 200},
		{"forward endpoint with the client's query (Caddy keeps it)", PathForward + "?a=1", http.Header{
			"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/public/x?a=1"}}, 200},
		{"envoy: dot-dot out of the prefix is normalised", PathEnvoy + "/public/../api/x", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header = tt.header
			if req.Header == nil {
				req.Header = http.Header{}
			}
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestKeysUnavailable(t *testing.T) {
	idp := authztest.NewT(t)
	tok := idp.MustMint(t, idp.Claims("alice", aud))
	idp.SetFailure(authztest.Fail5xx)
	a := newAuthorizer(t, testConfig(idp.URL(), ""), WithWarmWait(0),
		WithValidatorOptions(authz.WithKeyOptions(authz.KeyOptions{RetryMin: time.Millisecond, RetryMax: time.Millisecond})))
	rec := ask(a, "forward", "GET", "h", "/public/x", "", nil)
	if rec.Code != 200 {
		t.Errorf("anonymous route during an outage: %d", rec.Code)
	}
	c := idp.Claims("alice", aud)
	c["scope"] = "read:messages"
	tok = idp.MustMint(t, c)
	rec = ask(a, "forward", "GET", "h", "/api/x", tok, nil)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "7" || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("got %d, Retry-After %q, WWW-Authenticate %q; want 503, 7, none", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("WWW-Authenticate"))
	}
	if ok, missing := a.Ready(); ok || len(missing) != 1 {
		t.Errorf("Ready() = %v, %v", ok, missing)
	}
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", PathReady, nil))
	if rec.Code != 503 {
		t.Errorf("/readyz = %d during an outage", rec.Code)
	}
	idp.SetFailure(authztest.Healthy)
	// The Validator retries after its back-off (1 ms here); a few tries
	// at most, bounded.
	for i := 0; i < 50; i++ {
		if rec = ask(a, "forward", "GET", "h", "/api/x", tok, nil); rec.Code == 200 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rec.Code != 200 {
		t.Errorf("after the outage: %d %s", rec.Code, a.state.Load().v.Status()[0].LastError)
	}
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", PathReady, nil))
	if rec.Code != 200 {
		t.Errorf("/readyz = %d after the outage", rec.Code)
	}
}

// TestReloadUnderLoad swaps the configuration while requests run: none
// fails, and each sees either the old or the new rules.
func TestReloadUnderLoad(t *testing.T) {
	idp := authztest.NewT(t)
	a := newAuthorizer(t, testConfig(idp.URL(), ""))
	srv := httptest.NewServer(a)
	defer srv.Close()
	c := idp.Claims("alice", aud)
	c["scope"] = "read:messages"
	tok := idp.MustMint(t, c)

	var bad atomic.Int64
	var total atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", srv.URL+PathForward, nil)
				req.Header.Set("X-Forwarded-Method", "GET")
				req.Header.Set("X-Forwarded-Uri", "/api/messages")
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := srv.Client().Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				total.Add(1)
				if res.StatusCode != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		// The new rules differ (an extra anonymous route) but still allow
		// the request.
		cfg, err := config.Parse("reload.yaml", []byte(testConfig(idp.URL(), fmt.Sprintf("  - name: extra-%d\n    paths: [/x%d]\n    anonymous: true\n", i, i))))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Reload(cfg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 || total.Load() == 0 {
		t.Errorf("%d of %d requests failed during reloads", bad.Load(), total.Load())
	}
	if n := idp.JWKSRequests(); n > 2 {
		t.Errorf("the JWKS was fetched %d times over 5 reloads; the shared store should serve it", n)
	}
}

func TestHealth(t *testing.T) {
	idp := authztest.NewT(t)
	a := newAuthorizer(t, testConfig(idp.URL(), ""))
	for path, want := range map[string]int{PathHealth: 200, PathReady: 200, "/nope": 404} {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}

func TestLogsHoldNoToken(t *testing.T) {
	idp := authztest.NewT(t)
	var logs strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	a := newAuthorizer(t, testConfig(idp.URL(), "log_level: debug\n"), WithLogger(slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	c := idp.Claims("alice", aud)
	c["scope"] = "read:messages"
	good := idp.MustMint(t, c)
	forged := idp.MustMint(t, c, authztest.WithUnpublishedKey())
	ask(a, "nginx", "GET", "h", "/api/x", good, nil)
	ask(a, "nginx", "GET", "h", "/api/x", forged, nil)
	mu.Lock()
	defer mu.Unlock()
	out := logs.String()
	if !strings.Contains(out, `"reason":"bad_signature"`) || !strings.Contains(out, `"reason":"allowed"`) {
		t.Errorf("decisions not logged:\n%s", out)
	}
	for _, tok := range []string{good, forged} {
		for _, part := range strings.Split(tok, ".") {
			if strings.Contains(out, part) {
				t.Fatalf("log holds a part of a token:\n%s", out)
			}
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestMetrics(t *testing.T) {
	idp := authztest.NewT(t)
	a := newAuthorizer(t, testConfig(idp.URL(), ""))
	c := idp.Claims("alice", aud)
	c["scope"] = "read:messages"
	tok := idp.MustMint(t, c)
	ask(a, "nginx", "GET", "h", "/api/x", tok, nil)
	ask(a, "nginx", "GET", "h", "/api/x", tok, nil)
	ask(a, "forward", "GET", "h", "/api/x", "", nil)
	ask(a, "forward", "GET", "h", "/admin", "", nil)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", PathMetrics, nil))
	body := rec.Body.String()
	for _, w := range []string{
		`jwtguard_decisions_total{endpoint="nginx",status="200",reason="allowed"} 2`,
		`jwtguard_decisions_total{endpoint="forward",status="401",reason="missing_token"} 1`,
		`jwtguard_decisions_total{endpoint="forward",status="403",reason="no_rule"} 1`,
		`jwtguard_decision_duration_seconds_count 4`,
		`jwtguard_issuer_keys{issuer="` + idp.URL() + `"} 1`,
		`jwtguard_token_cache_requests_total{result="hit"} 1`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("metrics lack %q:\n%s", w, body)
		}
	}
}

func TestTenantRule(t *testing.T) {
	idp := authztest.NewT(t)
	a := newAuthorizer(t, fmt.Sprintf(`
issuers:
  - issuer: %s
    audiences: [%s]
rules:
  - paths: [/billing/*]
    tenant: {roles: [billing-admin]}
`, idp.URL(), aud))
	mint := func(current string) string {
		c := idp.Claims("alice", aud)
		c["dct"] = current
		c["tenants"] = map[string]any{"t1": map[string]any{"roles": []string{"billing-admin"}}, "t2": map[string]any{"roles": []string{"viewer"}}}
		return idp.MustMint(t, c)
	}
	if rec := ask(a, "forward", "GET", "h", "/billing/x", mint("t1"), nil); rec.Code != 200 {
		t.Errorf("role in the current tenant: %d", rec.Code)
	}
	if rec := ask(a, "forward", "GET", "h", "/billing/x", mint("t2"), nil); rec.Code != 403 {
		t.Errorf("role in another tenant only: %d", rec.Code)
	}
}
