package chiauth_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/chiauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// TestSenderConstrained runs DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705) through a chi router on real servers, plain and mutual TLS.
func TestSenderConstrained(t *testing.T) {
	adaptertest.RunSenderConstrained(t, func(t *testing.T, v *authz.Validator, overTLS bool) (string, *http.Client) {
		claims := adaptertest.HTTPHandler(nethttp.ClaimsFromContext)
		r := chi.NewRouter()
		r.With(chiauth.Require(v)).Get("/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
			if p, _ := chiauth.RoutePatternFromContext(r.Context()); p != "/v1/things/{id}" {
				http.Error(w, "route pattern "+p, http.StatusInternalServerError)
				return
			}
			if tenant, ok := authz.TenantFromContext(r.Context()); ok {
				http.Error(w, "tenant "+tenant, http.StatusInternalServerError)
				return
			}
			claims(w, r)
		})
		return adaptertest.ServeHTTP(t, r, overTLS)
	})
}
