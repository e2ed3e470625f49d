package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// response is what the client got through the proxy.
type response struct {
	status   int
	header   http.Header
	identity map[string][]string // what the upstream received (nil when it was not reached)
}

func get(t *testing.T, base, path, token string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	r := response{status: res.StatusCode, header: res.Header}
	if res.StatusCode == 200 {
		if err := json.Unmarshal(body, &r.identity); err != nil {
			t.Fatalf("upstream answer %q: %v", body, err)
		}
	}
	return r
}

// proxyCase is one assertion, run through each proxy.
type proxyCase struct {
	name   string
	path   string
	token  func(e *env, t *testing.T) string
	header http.Header
	check  func(t *testing.T, r response, e *env, proxy string)
}

func forged() http.Header {
	return http.Header{"X-Auth-Request-User": {"mallory"}, "X-Auth-Request-Email": {"mallory@evil.example"}}
}

var proxyCases = []proxyCase{
	{
		name:  "good token reaches upstream with identity headers",
		path:  "/api/messages?page=2",
		token: func(e *env, t *testing.T) string { return e.token(t, "read:messages") },
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 200)
			want := map[string]string{"X-Auth-Request-User": "alice", "X-Auth-Request-Email": "alice@example.com", "X-Auth-Request-Scopes": "read:messages", "X-Auth-Request-Tenant": "acme"}
			for h, v := range want {
				if got := r.identity[h]; len(got) != 1 || got[0] != v {
					t.Errorf("upstream got %s = %q, want %q", h, got, v)
				}
			}
		},
	},
	{
		name:   "forged identity with a valid token is replaced",
		path:   "/api/messages",
		token:  func(e *env, t *testing.T) string { return e.token(t, "read:messages") },
		header: forged(),
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 200)
			noForgery(t, r)
			if got := r.identity["X-Auth-Request-User"]; len(got) != 1 || got[0] != "alice" {
				t.Errorf("upstream got X-Auth-Request-User %q, want [alice]", got)
			}
		},
	},
	{
		name:   "forged identity on an anonymous route never reaches upstream",
		path:   "/public/info",
		header: forged(),
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 200)
			noForgery(t, r)
			for _, h := range identityHeaders {
				for _, v := range r.identity[h] {
					if v != "" {
						t.Errorf("upstream got %s = %q on an anonymous route", h, v)
					}
				}
			}
		},
	},
	{
		name:   "forged identity without a token is denied",
		path:   "/api/messages",
		header: forged(),
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 401)
		},
	},
	{
		name: "no token gets 401 with the challenge",
		path: "/api/messages",
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 401)
			wantChallenge(t, r, `Bearer realm="api"`)
		},
	},
	{
		name:  "missing scope gets 403 with the challenge",
		path:  "/api/messages",
		token: func(e *env, t *testing.T) string { return e.token(t, "write:messages") },
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 403)
			wantChallenge(t, r, `Bearer realm="api", error="insufficient_scope", scope="read:messages"`)
		},
	},
	{
		name: "expired token gets 401 invalid_token",
		path: "/api/messages",
		token: func(e *env, t *testing.T) string {
			c := e.idp.Claims("alice", aud)
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			return e.idp.MustMint(t, c)
		},
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 401)
			wantChallenge(t, r, `Bearer realm="api", error="invalid_token", error_description="token has expired"`)
		},
	},
	{
		name: "encoded dot-dot out of an anonymous route is not anonymous",
		path: "/public/%2e%2e/api/messages",
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 401)
		},
	},
	{
		name: "encoded slash is denied",
		path: "/public%2F..%2Fapi/messages",
		check: func(t *testing.T, r response, e *env, proxy string) {
			if r.status == 200 {
				t.Errorf("status 200: an encoded slash reached the upstream")
			}
		},
	},
	{
		name:  "no rule: denied by default",
		path:  "/other",
		token: func(e *env, t *testing.T) string { return e.token(t, "read:messages") },
		check: func(t *testing.T, r response, e *env, proxy string) {
			wantStatus(t, r, 403)
		},
	},
	{
		name: "IdP down with nothing cached",
		path: "/api/messages",
		token: func(e *env, t *testing.T) string {
			c := e.down.Claims("alice", aud)
			c["scope"] = "read:messages"
			return e.down.MustMint(t, c)
		},
		check: func(t *testing.T, r response, e *env, proxy string) {
			switch proxy {
			case "nginx": // auth_request turns any status but 2xx, 401 and 403 into 500
				wantStatus(t, r, 500)
			case "caddy": // forward_auth passes the answer on
				wantStatus(t, r, 503)
				if got := r.header.Get("Retry-After"); got != "7" {
					t.Errorf("Retry-After = %q, want 7", got)
				}
			}
		},
	},
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d (headers %v)", r.status, want, r.header)
	}
}

// wantChallenge requires exactly one WWW-Authenticate, equal to want.
func wantChallenge(t *testing.T, r response, want string) {
	t.Helper()
	if got := r.header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
		t.Errorf("WWW-Authenticate = %q, want exactly [%q]", got, want)
	}
}

func noForgery(t *testing.T, r response) {
	t.Helper()
	for h, vs := range r.identity {
		for _, v := range vs {
			if strings.Contains(v, "mallory") {
				t.Errorf("the client's forged %s: %q reached the upstream", h, v)
			}
		}
	}
}

func runProxyCases(t *testing.T, proxy string, start func(testing.TB, *env) string) {
	e := startEnv(t, true)
	base := start(t, e)
	for _, c := range proxyCases {
		t.Run(c.name, func(t *testing.T) {
			tok := ""
			if c.token != nil {
				tok = c.token(e, t)
			}
			before := e.up.hits.Load()
			r := get(t, base, c.path, tok, c.header)
			if r.status != 200 && e.up.hits.Load() != before {
				t.Errorf("status %d, but the upstream was called", r.status)
			}
			c.check(t, r, e, proxy)
		})
	}
}

// TestNginx runs the assertions behind a real nginx (auth_request, the
// /auth/nginx endpoint).
func TestNginx(t *testing.T) {
	runProxyCases(t, "nginx", func(t testing.TB, e *env) string { return startNginx(t, e) })
}

// TestCaddy runs them behind a real Caddy (forward_auth, the /auth/forward
// endpoint).
func TestCaddy(t *testing.T) {
	runProxyCases(t, "caddy", startCaddy)
}
