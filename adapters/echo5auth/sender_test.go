package echo5auth_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/echo5auth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// TestSenderConstrained runs DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705) through an echo v5 router on real servers, plain and mutual TLS.
func TestSenderConstrained(t *testing.T) {
	adaptertest.RunSenderConstrained(t, func(t *testing.T, v *authz.Validator, overTLS bool) (string, *http.Client) {
		e := echo.New()
		e.GET("/v1/things/:id", func(c *echo.Context) error {
			claims, ok := echo5auth.ClaimsFromContext(c)
			if fromReq, _ := nethttp.ClaimsFromContext(c.Request().Context()); fromReq != claims {
				return c.String(http.StatusInternalServerError, "the echo and the request contexts hold different claims")
			}
			if tenant, ok := authz.TenantFromContext(c.Request().Context()); ok {
				return c.String(http.StatusInternalServerError, "tenant "+tenant)
			}
			adaptertest.WriteReached(c.Response(), claims, ok)
			return nil
		}, echo5auth.Require(v))
		return adaptertest.ServeHTTP(t, e, overTLS)
	})
}
