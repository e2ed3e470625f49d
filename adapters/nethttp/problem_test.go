package nethttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestProblemDetails: every refusal as an RFC 9457 document, with the
// challenge still set and nothing of the token in it; Require as the
// shorthand for several policies.
func TestProblemDetails(t *testing.T) {
	f := newFixture(t)
	mw := nethttp.Middleware(f.v, nethttp.WithPolicy(authz.RequireScopes("read")), nethttp.WithErrorHandler(nethttp.ProblemDetails))
	srv := httptest.NewServer(mw(echoClaims))
	t.Cleanup(srv.Close)
	expired := f.token(t, "read", func(c map[string]any) { c["exp"] = 1 })
	for _, tc := range []struct {
		name, auth string
		status     int
		detail     string
	}{
		{"no token", "", 401, "missing_token"},
		{"expired", "Bearer " + expired, 401, "expired"},
		{"forged", "Bearer " + f.token(t, "read", nil, authztest.WithUnpublishedKey()), 401, "bad_signature"},
		{"missing scope", "Bearer " + f.token(t, "write", nil), 403, "insufficient_scope"},
		{"two schemes", "Bearer", 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p nethttp.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || p.Status != tc.status || p.Detail != tc.detail || p.Type != "about:blank" || p.Title != http.StatusText(tc.status) {
				t.Fatalf("%d %+v, want %d %s", resp.StatusCode, p, tc.status, tc.detail)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("no challenge")
			}
			if tc.auth != "" && strings.Contains(p.Detail+p.Title, strings.TrimPrefix(tc.auth, "Bearer ")) && len(tc.auth) > 10 {
				t.Fatal("token echoed")
			}
		})
	}
	// Require: every policy must hold.
	srv2 := httptest.NewServer(nethttp.Require(f.v, authz.RequireScopes("read"), authz.RequireScopes("write"))(echoClaims))
	t.Cleanup(srv2.Close)
	for scope, want := range map[string]int{"read write": 200, "read": 403} {
		req, _ := http.NewRequest("GET", srv2.URL, nil)
		req.Header.Set("Authorization", "Bearer "+f.token(t, scope, nil))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Require with scope %q: %d, want %d", scope, resp.StatusCode, want)
		}
	}
}
