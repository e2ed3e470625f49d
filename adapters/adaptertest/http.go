package adaptertest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
)

// reachedHeader marks the answer of the route's handler; scopeHeader
// carries the scopes of the claims it found.
const (
	reachedHeader = "X-Adaptertest-Reached"
	scopeHeader   = "X-Adaptertest-Scope"
)

// WriteReached is the answer of the route's handler in an HTTP adapter:
// 200, with the subject of claims (none when ok is false) for HTTPClient
// to read, and their scopes for RunSenderConstrained.
func WriteReached(w http.ResponseWriter, claims *authz.Claims, ok bool) {
	w.Header().Set(reachedHeader, "1")
	if ok {
		w.Header().Set(scopeHeader, strings.Join(claims.Scopes, " "))
	}
	w.WriteHeader(http.StatusOK)
	if ok {
		_, _ = io.WriteString(w, claims.Subject)
	}
}

// HTTPHandler is the route's handler for an adapter that passes the
// claims in the request context, read with claims (such as
// nethttp.ClaimsFromContext).
func HTTPHandler(claims func(context.Context) (*authz.Claims, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := claims(r.Context())
		WriteReached(w, c, ok)
	}
}

// HTTPClient returns a Client for an HTTP server at baseURL. A request
// that names a tenant goes to tenantPath with "{tenant}" replaced by it;
// every other one to path.
func HTTPClient(baseURL, tenantPath, path string) Client {
	return func(t *testing.T, req Request) Response {
		t.Helper()
		p := path
		if req.Tenant != "" {
			p = strings.Replace(tenantPath, "{tenant}", req.Tenant, 1)
		}
		r, err := http.NewRequest(http.MethodGet, baseURL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if req.Authorization != nil {
			r.Header["Authorization"] = req.Authorization
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.Header.Values("WWW-Authenticate")); n > 1 {
			t.Errorf("%d WWW-Authenticate headers, want at most one", n)
		}
		got := Response{
			Status:     res.StatusCode,
			Challenge:  res.Header.Get("WWW-Authenticate"),
			RetryAfter: res.Header.Get("Retry-After"),
			Reached:    res.Header.Get(reachedHeader) != "",
		}
		if got.Reached {
			got.Subject = string(body)
		} else {
			got.Body = string(body)
		}
		return got
	}
}
