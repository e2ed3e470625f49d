package nethttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Serve: serveConformance})
}

// serveConformance builds rt on a ServeMux, the tenant in the path.
func serveConformance(t *testing.T, rt adaptertest.Route) adaptertest.Client {
	var opts []nethttp.Option
	if rt.Policy != nil {
		opts = append(opts, nethttp.WithPolicy(rt.Policy))
	}
	if rt.Optional {
		opts = append(opts, nethttp.Optional())
	}
	if rt.Tenant {
		opts = append(opts, nethttp.WithTenantFrom(func(r *http.Request) string { return r.PathValue("tenant") }))
	}
	if rt.Realm != "" {
		opts = append(opts, nethttp.WithRealm(rt.Realm))
	}
	if rt.HideDescriptions {
		opts = append(opts, nethttp.WithHiddenDescriptions())
	}
	g, err := nethttp.New(rt.Validator, opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h := g.Handler(http.HandlerFunc(adaptertest.HTTPHandler(nethttp.ClaimsFromContext)))
	mux.Handle("/t/{tenant}/x", h)
	mux.Handle("/x", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return adaptertest.HTTPClient(srv.URL, "/t/{tenant}/x", "/x")
}

// TestSenderConstrainedConformance runs the adapters' shared suite of
// sender-constrained tokens — DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705) — through the middleware on a ServeMux, over plain HTTP and
// mutual TLS, as every router adapter runs it.
func TestSenderConstrainedConformance(t *testing.T) {
	adaptertest.RunSenderConstrained(t, func(t *testing.T, v *authz.Validator, overTLS bool) (string, *http.Client) {
		mux := http.NewServeMux()
		mux.Handle("GET /v1/things/{id}", nethttp.Middleware(v)(adaptertest.HTTPHandler(nethttp.ClaimsFromContext)))
		return adaptertest.ServeHTTP(t, mux, overTLS)
	})
}
