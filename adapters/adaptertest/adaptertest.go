package adaptertest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// Audience is the audience of the Validator in Route.
const Audience = "adaptertest"

// Route is the route a Harness builds for a case: the adapter's guard
// for Validator with these settings, in front of a handler that reports
// what it saw (Response.Reached, Subject).
type Route struct {
	// Validator validates the tokens.
	Validator *authz.Validator
	// Policy, when not nil, is the one policy of the route (WithPolicy).
	Policy authz.Policy
	// Optional lets requests without a token through as anonymous.
	Optional bool
	// Tenant, when set, has the route name the tenant of a request after
	// Request.Tenant, carried the adapter's way (a path parameter, a
	// metadata key), with the adapter's own option for it.
	Tenant bool
	// Realm, when not "", is the realm of the challenges (WithRealm).
	Realm string
	// HideDescriptions leaves error_description out (WithHiddenDescriptions).
	HideDescriptions bool
}

// Request is one request of a case.
type Request struct {
	// Authorization holds the values of the Authorization header (or of
	// the "authorization" metadata): none, one, or more.
	Authorization []string
	// Tenant is the tenant the request names, for a Route with Tenant; ""
	// names none (a route without the parameter, no metadata key).
	Tenant string
}

// Response is what the adapter answered.
type Response struct {
	// Status is the HTTP status, or for another transport the status its
	// answer stands for (see Harness.Status).
	Status int
	// Challenge is the WWW-Authenticate value (header or trailer), "" when
	// none. There must be at most one.
	Challenge string
	// RetryAfter is the Retry-After header, "" when none.
	RetryAfter string
	// Reached reports whether the route's handler ran.
	Reached bool
	// Subject is the sub of the claims the handler found in its context
	// (the adapter's ClaimsFromContext), "" for an anonymous request.
	Subject string
	// Body is the body of a refusal (or the message of a gRPC status), in
	// which no part of the token may appear.
	Body string
}

// Client sends a request to the route a Harness built.
type Client func(t *testing.T, req Request) Response

// Harness connects the suite to one adapter.
type Harness struct {
	// Serve builds rt with the adapter, serves it until t ends, and returns
	// a Client for it. Serve fails t (t.Fatal) when the adapter rejects rt.
	Serve func(t *testing.T, rt Route) Client
	// Status maps an HTTP status the suite expects to the one the adapter
	// reports when its transport has fewer outcomes: a gRPC adapter, with
	// one code (Unauthenticated) for 400 and 401, maps 400 to 401. nil
	// reports every status as it is.
	Status func(int) int
	// NoRetryAfter says the transport has no Retry-After (gRPC): the suite
	// then wants none.
	NoRetryAfter bool
}

// Run runs every case of the table against h, each as a subtest.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Serve == nil {
		t.Fatal("adaptertest: Harness.Serve is nil")
	}
	iss := authztest.NewT(t)
	v := newValidator(t, iss)
	mint := func(scope string, edit func(map[string]any)) string {
		c := iss.Claims("user-1", Audience)
		if scope != "" {
			c["scope"] = scope
		}
		if edit != nil {
			edit(c)
		}
		return iss.MustMint(t, c)
	}
	good := mint("read:messages", nil)
	readWrite := mint("read:messages write:messages", nil)
	expired := mint("read:messages", func(c map[string]any) {
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})
	otherAud := mint("read:messages", func(c map[string]any) { c["aud"] = "someone-else" })
	tenantAdmin := mint("", func(c map[string]any) {
		c["tenants"] = map[string]any{
			"acme":   map[string]any{"roles": []string{"admin"}},
			"globex": map[string]any{"roles": []string{"viewer"}},
		}
	})
	// The token's own error, for the challenges the core builds.
	invalid := func(tok string) error {
		_, err := v.Validate(context.Background(), tok)
		if err == nil {
			t.Fatalf("adaptertest: a token meant to be refused was accepted")
		}
		return err
	}
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	write := authz.RequireScopes("write:messages")
	admin := authz.TenantRoles(authz.RequestTenant, "admin")
	realm := nethttp.DefaultRealm

	type tcase struct {
		name  string
		route Route
		req   Request
		// want
		status    int
		challenge string
		reached   bool
		subject   string
	}
	noToken := `Bearer realm="` + realm + `"`
	badRequest := func(desc string) string {
		return noToken + `, error="invalid_request", error_description="` + desc + `"`
	}
	invalidToken := func(tok string, hide bool) string {
		return nethttp.Challenge(realm, invalid(tok), hide)
	}
	cases := []tcase{
		{name: "valid token", req: Request{Authorization: bearer(good)}, status: 200, reached: true, subject: "user-1"},
		{name: "scheme in lower case", req: Request{Authorization: []string{"bearer " + good}}, status: 200, reached: true, subject: "user-1"},
		{name: "no token", status: 401, challenge: noToken},
		{name: "empty Authorization", req: Request{Authorization: []string{""}}, status: 401, challenge: noToken},
		{name: "another scheme", req: Request{Authorization: []string{"Basic dXNlcjpwYXNz"}}, status: 401, challenge: noToken},
		{name: "Bearer without a token", req: Request{Authorization: []string{"Bearer"}}, status: 400,
			challenge: badRequest("malformed bearer credentials")},
		{name: "two tokens in one value", req: Request{Authorization: []string{"Bearer " + good + " " + good}}, status: 400,
			challenge: badRequest("malformed bearer credentials")},
		{name: "not a b64token", req: Request{Authorization: []string{"Bearer a,b"}}, status: 400,
			challenge: badRequest("malformed bearer credentials")},
		{name: "two Authorization values", route: Route{HideDescriptions: true}, req: Request{Authorization: []string{"Bearer " + good, "Bearer " + good}},
			status: 400, challenge: noToken + `, error="invalid_request"`},
		{name: "malformed token", req: Request{Authorization: bearer("abc.def.ghi")}, status: 401, challenge: invalidToken("abc.def.ghi", false)},
		{name: "expired token", req: Request{Authorization: bearer(expired)}, status: 401, challenge: invalidToken(expired, false)},
		{name: "wrong audience", req: Request{Authorization: bearer(otherAud)}, status: 401, challenge: invalidToken(otherAud, false)},
		{name: "policy met", route: Route{Policy: write}, req: Request{Authorization: bearer(readWrite)}, status: 200, reached: true, subject: "user-1"},
		{name: "policy not met", route: Route{Policy: write}, req: Request{Authorization: bearer(good)}, status: 403,
			challenge: noToken + `, error="insufficient_scope", scope="write:messages"`},
		{name: "bad token before the policy", route: Route{Policy: write}, req: Request{Authorization: bearer(expired)}, status: 401,
			challenge: invalidToken(expired, false)},
		{name: "optional, no token", route: Route{Optional: true}, status: 200, reached: true},
		{name: "optional, another scheme", route: Route{Optional: true}, req: Request{Authorization: []string{"Basic dXNlcjpwYXNz"}}, status: 200, reached: true},
		{name: "optional, valid token", route: Route{Optional: true}, req: Request{Authorization: bearer(good)}, status: 200, reached: true, subject: "user-1"},
		{name: "optional, bad token", route: Route{Optional: true}, req: Request{Authorization: bearer(expired)}, status: 401, challenge: invalidToken(expired, false)},
		{name: "optional, malformed", route: Route{Optional: true}, req: Request{Authorization: []string{"Bearer"}}, status: 400,
			challenge: badRequest("malformed bearer credentials")},
		{name: "optional, policy not met", route: Route{Optional: true, Policy: write}, req: Request{Authorization: bearer(good)}, status: 403,
			challenge: noToken + `, error="insufficient_scope", scope="write:messages"`},
		{name: "optional, no token, policy skipped", route: Route{Optional: true, Policy: write}, status: 200, reached: true},
		{name: "tenant: role held there", route: Route{Tenant: true, Policy: admin}, req: Request{Authorization: bearer(tenantAdmin), Tenant: "acme"},
			status: 200, reached: true, subject: "user-1"},
		{name: "tenant: role held in another tenant only", route: Route{Tenant: true, Policy: admin}, req: Request{Authorization: bearer(tenantAdmin), Tenant: "globex"},
			status: 403, challenge: noToken + `, error="insufficient_scope"`},
		{name: "tenant: unknown", route: Route{Tenant: true, Policy: admin}, req: Request{Authorization: bearer(tenantAdmin), Tenant: "initech"},
			status: 403, challenge: noToken + `, error="insufficient_scope"`},
		{name: "tenant: none named", route: Route{Tenant: true, Policy: admin}, req: Request{Authorization: bearer(tenantAdmin)},
			status: 403, challenge: noToken + `, error="insufficient_scope"`},
		{name: "realm", route: Route{Realm: `my "api"`}, status: 401, challenge: `Bearer realm="my \"api\""`},
		{name: "hidden descriptions", route: Route{HideDescriptions: true}, req: Request{Authorization: bearer(expired)}, status: 401,
			challenge: noToken + `, error="invalid_token"`},
		{name: "hidden descriptions, malformed", route: Route{HideDescriptions: true}, req: Request{Authorization: []string{"Bearer"}}, status: 400,
			challenge: noToken + `, error="invalid_request"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := tc.route
			rt.Validator = v
			got := h.Serve(t, rt)(t, tc.req)
			check(t, h, got, tc.status, tc.challenge, "", tc.reached, tc.subject)
			for _, a := range tc.req.Authorization {
				if f := strings.Fields(a); len(f) > 1 && len(f[1]) > 20 && strings.Contains(got.Challenge+got.Body, f[1][:20]) {
					t.Error("the answer echoes the token")
				}
			}
		})
	}

	// Keys that cannot be had: 503 with Retry-After, unless the token is
	// refused by the cheap checks first.
	t.Run("keys unavailable", func(t *testing.T) {
		down := authztest.NewT(t)
		dv := newValidator(t, down, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
		c := down.Claims("user-1", Audience)
		tok := down.MustMint(t, c)
		c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		old := down.MustMint(t, c)
		down.SetFailure(authztest.Fail5xx) // before any key was fetched: nothing cached
		retry := "5"
		if h.NoRetryAfter {
			retry = ""
		}
		t.Run("valid token", func(t *testing.T) {
			got := h.Serve(t, Route{Validator: dv})(t, Request{Authorization: bearer(tok)})
			check(t, h, got, http.StatusServiceUnavailable, "", retry, false, "")
		})
		t.Run("with a policy", func(t *testing.T) {
			got := h.Serve(t, Route{Validator: dv, Policy: write})(t, Request{Authorization: bearer(tok)})
			check(t, h, got, http.StatusServiceUnavailable, "", retry, false, "")
		})
		t.Run("expired token", func(t *testing.T) {
			_, err := dv.Validate(context.Background(), old)
			got := h.Serve(t, Route{Validator: dv})(t, Request{Authorization: bearer(old)})
			check(t, h, got, http.StatusUnauthorized, nethttp.Challenge(realm, err, false), "", false, "")
		})
	})
}

func newValidator(t *testing.T, iss *authztest.Issuer, opts ...authz.Option) *authz.Validator {
	t.Helper()
	v, err := authz.New([]authz.Issuer{iss.OIDC(Audience)}, append([]authz.Option{authz.WithoutBackground()}, opts...)...)
	if err != nil {
		t.Fatalf("adaptertest: authz.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func check(t *testing.T, h Harness, got Response, status int, challenge, retryAfter string, reached bool, subject string) {
	t.Helper()
	if h.Status != nil {
		status = h.Status(status)
	}
	var diffs []string
	if got.Status != status {
		diffs = append(diffs, "status "+itoa(got.Status)+", want "+itoa(status))
	}
	if got.Challenge != challenge {
		diffs = append(diffs, "challenge "+quote(got.Challenge)+", want "+quote(challenge))
	}
	if got.RetryAfter != retryAfter {
		diffs = append(diffs, "Retry-After "+quote(got.RetryAfter)+", want "+quote(retryAfter))
	}
	if got.Reached != reached {
		if reached {
			diffs = append(diffs, "the handler did not run")
		} else {
			diffs = append(diffs, "the handler ran")
		}
	}
	if got.Subject != subject {
		diffs = append(diffs, "the handler saw subject "+quote(got.Subject)+", want "+quote(subject))
	}
	if len(diffs) > 0 {
		t.Error(strings.Join(diffs, "; "))
	}
}

func itoa(n int) string { return fmt.Sprintf("%d %s", n, http.StatusText(n)) }

func quote(s string) string {
	if s == "" {
		return "none"
	}
	return "`" + s + "`"
}
