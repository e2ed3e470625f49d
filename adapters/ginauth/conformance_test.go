package ginauth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/ginauth"
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
			opts = append(opts, ginauth.TenantFromParam("tenant"))
		}
		if rt.Realm != "" {
			opts = append(opts, nethttp.WithRealm(rt.Realm))
		}
		if rt.HideDescriptions {
			opts = append(opts, nethttp.WithHiddenDescriptions())
		}
		g, err := ginauth.New(rt.Validator, opts...)
		if err != nil {
			t.Fatal(err)
		}
		r := gin.New()
		h := func(c *gin.Context) {
			claims, ok := ginauth.ClaimsFromContext(c)
			adaptertest.WriteReached(c.Writer, claims, ok)
		}
		r.GET("/t/:tenant/x", g.Handle, h)
		r.GET("/x", g.Handle, h)
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		return adaptertest.HTTPClient(srv.URL, "/t/{tenant}/x", "/x")
	}})
}
