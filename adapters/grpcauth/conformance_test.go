package grpcauth_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/jwtguard/jwtguard/adapters/adaptertest"
	"github.com/jwtguard/jwtguard/adapters/grpcauth"
)

// httpStatus is the HTTP status a gRPC code stands for, the inverse of
// grpcauth.Code (which gives 400 and 401 the one code Unauthenticated).
var httpStatus = map[codes.Code]int{
	codes.OK:               http.StatusOK,
	codes.Unauthenticated:  http.StatusUnauthorized,
	codes.PermissionDenied: http.StatusForbidden,
	codes.Unavailable:      http.StatusServiceUnavailable,
	codes.Internal:         http.StatusInternalServerError,
}

func TestConformance(t *testing.T) {
	for _, method := range []string{checkMethod, watchMethod} {
		t.Run(method, func(t *testing.T) {
			adaptertest.Run(t, adaptertest.Harness{
				Serve: func(t *testing.T, rt adaptertest.Route) adaptertest.Client {
					var opts []grpcauth.Option
					if rt.Policy != nil {
						opts = append(opts, grpcauth.WithPolicy(rt.Policy))
					}
					if rt.Optional {
						opts = append(opts, grpcauth.Optional())
					}
					if rt.Tenant {
						opts = append(opts, grpcauth.TenantFromMetadata("x-tenant-id"))
					}
					if rt.Realm != "" {
						opts = append(opts, grpcauth.WithRealm(rt.Realm))
					}
					if rt.HideDescriptions {
						opts = append(opts, grpcauth.WithHiddenDescriptions())
					}
					client := serve(t, newGuard(t, rt.Validator, opts...))
					return func(t *testing.T, req adaptertest.Request) adaptertest.Response {
						var pairs []string
						if req.Tenant != "" {
							pairs = append(pairs, "x-tenant-id", req.Tenant)
						}
						r := call(t, client, method, req.Authorization, pairs...)
						if r.challengeEntries > 1 {
							t.Errorf("%d www-authenticate entries, want at most one", r.challengeEntries)
						}
						st, ok := httpStatus[r.code]
						if !ok {
							t.Errorf("code %v, not one of grpcauth.Code's", r.code)
						}
						got := adaptertest.Response{Status: st, Challenge: r.challenge, Reached: r.code == codes.OK, Body: r.msg}
						if r.subject != "anonymous" {
							got.Subject = r.subject
						}
						return got
					}
				},
				Status: func(status int) int {
					if status == http.StatusBadRequest {
						return http.StatusUnauthorized // one code, Unauthenticated
					}
					return status
				},
				NoRetryAfter: true,
			})
		})
	}
}
