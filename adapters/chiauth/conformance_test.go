package chiauth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/chiauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{Serve: func(t *testing.T, rt adaptertest.Route) adaptertest.Client {
		var opts []nethttp.Option
		if rt.Policy != nil {
			opts = append(opts, nethttp.WithPolicy(rt.Policy))
		}
		if rt.Optional {
			opts = append(opts, nethttp.Optional())
		}
		if rt.Tenant {
			opts = append(opts, chiauth.TenantFromURLParam("tenant"))
		}
		if rt.Realm != "" {
			opts = append(opts, nethttp.WithRealm(rt.Realm))
		}
		if rt.HideDescriptions {
			opts = append(opts, nethttp.WithHiddenDescriptions())
		}
		g, err := chiauth.New(rt.Validator, opts...)
		if err != nil {
			t.Fatal(err)
		}
		r := chi.NewRouter()
		h := adaptertest.HTTPHandler(nethttp.ClaimsFromContext)
		r.With(g.Handler).Get("/t/{tenant}/x", h)
		r.With(g.Handler).Get("/x", h)
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		return adaptertest.HTTPClient(srv.URL, "/t/{tenant}/x", "/x")
	}})
}
