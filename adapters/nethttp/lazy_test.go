package nethttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// TestCredentialCharacters: credentials that are not one b64token (RFC 6750
// §2.1) are a malformed request (400) whether the Guard checks them before
// Validate or only once it refused them; and with a validation hook, which
// may answer in the Validator's place, they are refused before the hook
// sees them, so no hook can let them through.
func TestCredentialCharacters(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	acceptAll := authz.Hooks{Validate: func(next authz.ValidateFunc) authz.ValidateFunc {
		return func(ctx context.Context, token string) (*authz.Claims, error) {
			if token == "" {
				return next(ctx, token)
			}
			mu.Lock()
			seen = append(seen, token)
			mu.Unlock()
			return &authz.Claims{Subject: "hook"}, nil // a test double: accepts any token
		}
	}}
	plain := newFixture(t)
	hooked := newFixture(t, authz.WithHooks(acceptAll))
	good := plain.token(t, "read:messages", nil)
	for _, tc := range []struct {
		name   string
		header string
		plain  int // status without hooks
		hooked int // status with the accepting hook
	}{
		{"good token", "Bearer " + good, http.StatusOK, http.StatusOK},
		{"spaces", "Bearer api key with spaces", http.StatusBadRequest, http.StatusBadRequest},
		{"quote", `Bearer pass"word`, http.StatusBadRequest, http.StatusBadRequest},
		{"non-ASCII", "Bearer t\u00f6ken", http.StatusBadRequest, http.StatusBadRequest},
		{"padding inside", "Bearer ab=cd", http.StatusBadRequest, http.StatusBadRequest},
		{"b64token, not a JWS", "Bearer abc~def+ghi/jkl==", http.StatusUnauthorized, http.StatusOK},
		{"DPoP scheme, bad characters", "DPoP a b", http.StatusUnauthorized, http.StatusUnauthorized},
	} {
		for _, f := range []struct {
			v    *authz.Validator
			want int
		}{{plain.v, tc.plain}, {hooked.v, tc.hooked}} {
			mu.Lock()
			seen = nil
			mu.Unlock()
			h := nethttp.Middleware(f.v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", tc.header)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != f.want {
				t.Errorf("%s (hooks: %v): status %d, want %d (%s)", tc.name, f.v == hooked.v, rec.Code, f.want, rec.Header().Get("WWW-Authenticate"))
			}
			mu.Lock()
			if f.v == hooked.v && rec.Code == http.StatusBadRequest && len(seen) > 0 {
				t.Errorf("%s: the hook saw the malformed credentials %q", tc.name, seen)
			}
			mu.Unlock()
		}
	}
}
