package echo5auth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/echo5auth"
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
			opts = append(opts, echo5auth.TenantFromParam("tenant"))
		}
		if rt.Realm != "" {
			opts = append(opts, nethttp.WithRealm(rt.Realm))
		}
		if rt.HideDescriptions {
			opts = append(opts, nethttp.WithHiddenDescriptions())
		}
		g, err := echo5auth.New(rt.Validator, opts...)
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		h := func(c *echo.Context) error {
			claims, ok := echo5auth.ClaimsFromContext(c)
			adaptertest.WriteReached(c.Response(), claims, ok)
			return nil
		}
		e.GET("/t/:tenant/x", h, g.Middleware)
		e.GET("/x", h, g.Middleware)
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		return adaptertest.HTTPClient(srv.URL, "/t/{tenant}/x", "/x")
	}})
}
