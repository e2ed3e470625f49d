package ginauth_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/ginauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// TestSenderConstrained runs DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705) through a gin router on real servers, plain and mutual TLS.
func TestSenderConstrained(t *testing.T) {
	adaptertest.RunSenderConstrained(t, func(t *testing.T, v *authz.Validator, overTLS bool) (string, *http.Client) {
		r := gin.New()
		r.GET("/v1/things/:id", ginauth.Require(v), func(c *gin.Context) {
			claims, ok := ginauth.ClaimsFromContext(c)
			if fromReq, _ := nethttp.ClaimsFromContext(c.Request.Context()); fromReq != claims {
				c.String(http.StatusInternalServerError, "the gin and the request contexts hold different claims")
				return
			}
			if tenant, ok := authz.TenantFromContext(c.Request.Context()); ok {
				c.String(http.StatusInternalServerError, "tenant "+tenant)
				return
			}
			adaptertest.WriteReached(c.Writer, claims, ok)
		})
		return adaptertest.ServeHTTP(t, r, overTLS)
	})
}
