package grpcauth_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/jwtguard/jwtguard/adapters/grpcauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

const (
	audience    = "my-api"
	checkMethod = "/grpc.health.v1.Health/Check"
	watchMethod = "/grpc.health.v1.Health/Watch"
	listMethod  = "/grpc.health.v1.Health/List"
)

// fixture is a test issuer and a Validator that trusts it.
type fixture struct {
	iss *authztest.Issuer
	v   *authz.Validator
}

func newFixture(t testing.TB, opts ...authz.Option) *fixture {
	t.Helper()
	iss := authztest.NewT(t)
	v, err := authz.New([]authz.Issuer{iss.OIDC(audience)}, append([]authz.Option{authz.WithoutBackground()}, opts...)...)
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return &fixture{iss: iss, v: v}
}

// token mints a token for user-1 with the given scope claim (none if
// empty); edit changes the claims before minting.
func (f *fixture) token(t testing.TB, scope string, edit func(map[string]any)) string {
	t.Helper()
	c := f.iss.Claims("user-1", audience)
	if scope != "" {
		c["scope"] = scope
	}
	if edit != nil {
		edit(c)
	}
	return f.iss.MustMint(t, c)
}

// healthServer is the standard health service whose handlers report, in
// header metadata, the claims and tenant they find in their context.
type healthServer struct{ *health.Server }

func whoami(ctx context.Context) metadata.MD {
	sub := "anonymous"
	if c, ok := grpcauth.ClaimsFromContext(ctx); ok {
		sub = c.Subject
	}
	tenant, _ := authz.TenantFromContext(ctx)
	return metadata.Pairs("x-subject", sub, "x-tenant", tenant)
}

func (h healthServer) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := grpc.SetHeader(ctx, whoami(ctx)); err != nil {
		return nil, err
	}
	return h.Server.Check(ctx, req)
}

func (h healthServer) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	if err := stream.SetHeader(whoami(stream.Context())); err != nil {
		return err
	}
	return h.Server.Watch(req, stream)
}

// serve runs the health service behind g on a loopback listener and
// returns a client connected to it.
func serve(t testing.TB, g *grpcauth.Guard) healthpb.HealthClient {
	t.Helper()
	client, _ := serveAt(t, g)
	return client
}

// serveAt is serve, also returning the listener's address (the
// :authority the client sends).
func serveAt(t testing.TB, g *grpcauth.Guard) (healthpb.HealthClient, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(g.Unary), grpc.StreamInterceptor(g.Stream))
	healthpb.RegisterHealthServer(srv, healthServer{health.NewServer()})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return healthpb.NewHealthClient(conn), lis.Addr().String()
}

func newGuard(t testing.TB, v *authz.Validator, opts ...grpcauth.Option) *grpcauth.Guard {
	t.Helper()
	g, err := grpcauth.New(v, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// result is what a client saw of one call.
type result struct {
	code             codes.Code
	msg              string
	subject, tenant  string // from the handler, on success
	challenge        string // www-authenticate trailer
	challengeEntries int
}

// call calls method (checkMethod or watchMethod) with the given
// "authorization" values and other metadata pairs.
func call(t testing.TB, client healthpb.HealthClient, method string, auth []string, pairs ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range auth {
		pairs = append(pairs, "authorization", a)
	}
	if len(pairs) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, pairs...)
	}
	var hdr, tr metadata.MD
	var err error
	switch method {
	case checkMethod:
		_, err = client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&hdr), grpc.Trailer(&tr))
	case watchMethod:
		var stream healthpb.Health_WatchClient
		stream, err = client.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = stream.Recv()
			hdr, _ = stream.Header()
			tr = stream.Trailer()
		}
	case listMethod:
		_, err = client.List(ctx, &healthpb.HealthListRequest{}, grpc.Header(&hdr), grpc.Trailer(&tr))
	default:
		t.Fatalf("unknown method %s", method)
	}
	st := status.Convert(err)
	r := result{code: st.Code(), msg: st.Message(), challengeEntries: len(tr["www-authenticate"])}
	if v := hdr["x-subject"]; len(v) == 1 {
		r.subject = v[0]
	}
	if v := hdr["x-tenant"]; len(v) == 1 {
		r.tenant = v[0]
	}
	if v := tr["www-authenticate"]; len(v) > 0 {
		r.challenge = v[0]
	}
	return r
}

func bearer(tok string) []string { return []string{"Bearer " + tok} }

func TestInterceptors(t *testing.T) {
	f := newFixture(t)
	readOnly := f.token(t, "health:read", nil)
	watcher := f.token(t, "health:read health:watch", nil)
	noScope := f.token(t, "", nil)
	expired := f.token(t, "health:read health:watch", func(c map[string]any) {
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})
	wrongAud := f.token(t, "health:read", func(c map[string]any) { c["aud"] = "other-api" })

	client := serve(t, newGuard(t, f.v,
		grpcauth.WithPolicy(authz.RequireScopes("health:read")),
		grpcauth.WithMethodPolicies(map[string]authz.Policy{
			watchMethod: authz.RequireScopes("health:read", "health:watch"),
		}),
	))

	const (
		plain     = `Bearer realm="api"`
		malformed = `Bearer realm="api", error="invalid_request", error_description="malformed bearer credentials"`
	)
	invalid := func(desc string) string {
		return `Bearer realm="api", error="invalid_token", error_description="` + desc + `"`
	}
	tests := []struct {
		name          string
		method        string
		auth          []string
		wantCode      codes.Code
		wantMsg       string
		wantChallenge string
	}{
		{name: "no token", method: checkMethod, wantCode: codes.Unauthenticated, wantMsg: "no bearer token", wantChallenge: plain},
		{name: "no token, stream", method: watchMethod, wantCode: codes.Unauthenticated, wantMsg: "no bearer token", wantChallenge: plain},
		{name: "basic scheme", method: checkMethod, auth: []string{"Basic dXNlcjpwYXNz"}, wantCode: codes.Unauthenticated, wantMsg: "no bearer token", wantChallenge: plain},
		{name: "garbage token", method: checkMethod, auth: bearer("garbage"), wantCode: codes.Unauthenticated,
			wantMsg: "token is malformed", wantChallenge: invalid("token is malformed")},
		{name: "garbage token, stream", method: watchMethod, auth: bearer("garbage"), wantCode: codes.Unauthenticated,
			wantMsg: "token is malformed", wantChallenge: invalid("token is malformed")},
		{name: "expired", method: checkMethod, auth: bearer(expired), wantCode: codes.Unauthenticated,
			wantMsg: "token has expired", wantChallenge: invalid("token has expired")},
		{name: "wrong audience", method: checkMethod, auth: bearer(wrongAud), wantCode: codes.Unauthenticated,
			wantMsg: "audience not accepted", wantChallenge: invalid("audience not accepted")},
		{name: "bearer without token", method: checkMethod, auth: []string{"Bearer"}, wantCode: codes.Unauthenticated,
			wantMsg: "malformed bearer credentials", wantChallenge: malformed},
		{name: "two tokens in one value", method: checkMethod, auth: []string{"Bearer a b"}, wantCode: codes.Unauthenticated,
			wantMsg: "malformed bearer credentials", wantChallenge: malformed},
		{name: "two values", method: checkMethod, auth: []string{"Bearer " + readOnly, "Bearer " + readOnly}, wantCode: codes.Unauthenticated,
			wantMsg:       "more than one authorization value",
			wantChallenge: `Bearer realm="api", error="invalid_request", error_description="more than one authorization value"`},
		{name: "missing scope, default policy", method: checkMethod, auth: bearer(noScope), wantCode: codes.PermissionDenied,
			wantMsg: "insufficient scope: requires health:read", wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="health:read"`},
		{name: "missing scope, method policy", method: watchMethod, auth: bearer(readOnly), wantCode: codes.PermissionDenied,
			wantMsg:       "insufficient scope: requires health:read health:watch",
			wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="health:read health:watch"`},
		{name: "default policy on another method", method: listMethod, auth: bearer(noScope), wantCode: codes.PermissionDenied,
			wantMsg: "insufficient scope: requires health:read", wantChallenge: `Bearer realm="api", error="insufficient_scope", scope="health:read"`},
		{name: "valid", method: checkMethod, auth: bearer(readOnly), wantCode: codes.OK},
		{name: "valid, scheme in upper case", method: checkMethod, auth: []string{"BEARER " + readOnly}, wantCode: codes.OK},
		{name: "valid, stream", method: watchMethod, auth: bearer(watcher), wantCode: codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, client, tt.method, tt.auth)
			if got.code != tt.wantCode || got.msg != tt.wantMsg {
				t.Errorf("status = %v %q, want %v %q", got.code, got.msg, tt.wantCode, tt.wantMsg)
			}
			if got.challenge != tt.wantChallenge || (tt.wantChallenge != "" && got.challengeEntries != 1) {
				t.Errorf("www-authenticate = %s (%d)\nwant               %s", got.challenge, got.challengeEntries, tt.wantChallenge)
			}
			wantSub := ""
			if tt.wantCode == codes.OK && tt.method != listMethod {
				wantSub = "user-1"
			}
			if got.subject != wantSub {
				t.Errorf("handler saw subject %q, want %q", got.subject, wantSub)
			}
			for _, a := range tt.auth {
				if f := strings.Fields(a); len(f) > 1 && len(f[1]) > 20 && strings.Contains(got.msg+got.challenge, f[1][:20]) {
					t.Error("status echoes the token")
				}
			}
		})
	}
}

func TestKeysUnavailable(t *testing.T) {
	f := newFixture(t, authz.WithKeyOptions(authz.KeyOptions{FetchTimeout: 2 * time.Second}))
	tok := f.token(t, "health:read", nil)
	f.iss.SetFailure(authztest.Fail5xx) // before any key was fetched: nothing cached
	client := serve(t, newGuard(t, f.v, grpcauth.WithPolicy(authz.RequireScopes("health:read"))))

	for _, method := range []string{checkMethod, watchMethod} {
		t.Run(method, func(t *testing.T) {
			got := call(t, client, method, bearer(tok))
			if got.code != codes.Unavailable || got.msg != "signing keys unavailable" || got.challenge != "" {
				t.Errorf("got %v %q, www-authenticate %q", got.code, got.msg, got.challenge)
			}
		})
	}
}

// TestCallEnded: keys that cannot be had because the call's context ended
// give the context's code, not Unavailable.
func TestCallEnded(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", nil)
	g := newGuard(t, f.v)
	f.iss.SetFailure(authztest.Hang)

	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
	tests := []struct {
		name     string
		ctx      func() (context.Context, context.CancelFunc)
		wantCode codes.Code
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return ctx, cancel
		}, codes.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(ctx, time.Now().Add(-time.Second))
		}, codes.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := g.Authorize(ctx, checkMethod)
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("code = %v (%v), want %v", got, err, tt.wantCode)
			}
			if !errors.Is(err, authz.ErrKeysUnavailable) {
				t.Errorf("error %v does not wrap ErrKeysUnavailable", err)
			}
		})
	}
}

func TestMethodPolicies(t *testing.T) {
	f := newFixture(t)
	user := f.token(t, "health:read", nil)
	admin := f.token(t, "health:read", func(c map[string]any) { c["roles"] = []string{"admin"} })

	client := serve(t, newGuard(t, f.v,
		grpcauth.WithPolicy(authz.RequireScopes("never-granted")),
		grpcauth.WithMethodPolicies(map[string]authz.Policy{"/grpc.health.v1.Health/*": authz.RequireRoles("admin")}),
		grpcauth.WithMethodPolicies(map[string]authz.Policy{checkMethod: authz.RequireScopes("health:read")}),
	))
	tests := []struct {
		name     string
		method   string
		token    string
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "method entry wins over service entry", method: checkMethod, token: user, wantCode: codes.OK},
		{name: "service entry replaces the default", method: watchMethod, token: admin, wantCode: codes.OK},
		{name: "service entry denies", method: watchMethod, token: user, wantCode: codes.PermissionDenied, wantMsg: "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, client, tt.method, bearer(tt.token))
			if got.code != tt.wantCode || got.msg != tt.wantMsg {
				t.Errorf("got %v %q, want %v %q", got.code, got.msg, tt.wantCode, tt.wantMsg)
			}
			if tt.wantCode == codes.PermissionDenied && got.challenge != `Bearer realm="api", error="insufficient_scope"` {
				t.Errorf("www-authenticate = %s", got.challenge)
			}
		})
	}
}

func TestOptional(t *testing.T) {
	f := newFixture(t)
	good := f.token(t, "health:read", nil)
	noScope := f.token(t, "", nil)
	tests := []struct {
		name     string
		opts     []grpcauth.Option
		method   string
		auth     []string
		wantCode codes.Code
		wantSub  string
	}{
		{name: "optional method without token", opts: []grpcauth.Option{grpcauth.OptionalMethods(checkMethod)},
			method: checkMethod, wantCode: codes.OK, wantSub: "anonymous"},
		{name: "optional method with token", opts: []grpcauth.Option{grpcauth.OptionalMethods(checkMethod)},
			method: checkMethod, auth: bearer(good), wantCode: codes.OK, wantSub: "user-1"},
		{name: "optional method, bad token", opts: []grpcauth.Option{grpcauth.OptionalMethods(checkMethod)},
			method: checkMethod, auth: bearer("garbage"), wantCode: codes.Unauthenticated},
		{name: "optional method, missing scope", opts: []grpcauth.Option{grpcauth.OptionalMethods(checkMethod)},
			method: checkMethod, auth: bearer(noScope), wantCode: codes.PermissionDenied},
		{name: "optional method, malformed", opts: []grpcauth.Option{grpcauth.OptionalMethods(checkMethod)},
			method: checkMethod, auth: []string{"Bearer"}, wantCode: codes.Unauthenticated},
		{name: "other method not optional", opts: []grpcauth.Option{grpcauth.OptionalMethods(checkMethod)},
			method: watchMethod, wantCode: codes.Unauthenticated},
		{name: "optional service, stream", opts: []grpcauth.Option{grpcauth.OptionalMethods("/grpc.health.v1.Health/*")},
			method: watchMethod, wantCode: codes.OK, wantSub: "anonymous"},
		{name: "optional everywhere", opts: []grpcauth.Option{grpcauth.Optional()},
			method: watchMethod, wantCode: codes.OK, wantSub: "anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]grpcauth.Option{grpcauth.WithPolicy(authz.RequireScopes("health:read"))}, tt.opts...)
			got := call(t, serve(t, newGuard(t, f.v, opts...)), tt.method, tt.auth)
			if got.code != tt.wantCode || got.subject != tt.wantSub {
				t.Errorf("got %v %q (subject %q), want %v subject %q", got.code, got.msg, got.subject, tt.wantCode, tt.wantSub)
			}
		})
	}
}

func TestTenantFromMetadata(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", func(c map[string]any) {
		c["tenants"] = map[string]any{
			"acme":   map[string]any{"roles": []string{"admin"}},
			"globex": map[string]any{"roles": []string{"viewer"}},
		}
	})
	client := serve(t, newGuard(t, f.v,
		grpcauth.TenantFromMetadata("X-Tenant-ID"),
		grpcauth.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	))
	tests := []struct {
		name       string
		method     string
		pairs      []string
		wantCode   codes.Code
		wantTenant string
	}{
		{name: "admin in the tenant", method: checkMethod, pairs: []string{"x-tenant-id", "acme"}, wantCode: codes.OK, wantTenant: "acme"},
		{name: "admin in the tenant, stream", method: watchMethod, pairs: []string{"x-tenant-id", "acme"}, wantCode: codes.OK, wantTenant: "acme"},
		{name: "role held in another tenant only", method: checkMethod, pairs: []string{"x-tenant-id", "globex"}, wantCode: codes.PermissionDenied},
		{name: "unknown tenant", method: checkMethod, pairs: []string{"x-tenant-id", "initech"}, wantCode: codes.PermissionDenied},
		{name: "no tenant", method: checkMethod, wantCode: codes.PermissionDenied},
		{name: "two tenants", method: checkMethod, pairs: []string{"x-tenant-id", "acme", "x-tenant-id", "acme"}, wantCode: codes.PermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, client, tt.method, bearer(tok), tt.pairs...)
			if got.code != tt.wantCode || got.tenant != tt.wantTenant {
				t.Errorf("got %v %q (tenant %q), want %v tenant %q", got.code, got.msg, got.tenant, tt.wantCode, tt.wantTenant)
			}
		})
	}
}

// TestPolicyContext: the policy and the Validate hook see the method and
// the metadata of the call.
func TestPolicyContext(t *testing.T) {
	hookMethod := make(chan string, 1)
	f := newFixture(t, authz.WithHooks(authz.Hooks{Validate: func(next authz.ValidateFunc) authz.ValidateFunc {
		return func(ctx context.Context, token string) (*authz.Claims, error) {
			m, _ := grpc.Method(ctx)
			select {
			case hookMethod <- m:
			default:
			}
			return next(ctx, token)
		}
	}}))
	tok := f.token(t, "", nil)
	onlyWatch := authz.PolicyFunc(func(ctx context.Context, c *authz.Claims) error {
		m, _ := grpc.Method(ctx)
		md, _ := metadata.FromIncomingContext(ctx)
		if m != watchMethod || len(md["x-client"]) != 1 {
			return &authz.PolicyError{Requirement: "watch from a known client"}
		}
		return nil
	})
	failing := authz.PolicyFunc(func(context.Context, *authz.Claims) error { return errors.New("policy store down") })
	client := serve(t, newGuard(t, f.v, grpcauth.WithPolicy(onlyWatch),
		grpcauth.WithMethodPolicies(map[string]authz.Policy{listMethod: failing})))

	if got := call(t, client, watchMethod, bearer(tok), "x-client", "cli"); got.code != codes.OK {
		t.Errorf("watch: %v %q", got.code, got.msg)
	}
	if m := <-hookMethod; m != watchMethod {
		t.Errorf("Validate hook saw method %q", m)
	}
	if got := call(t, client, checkMethod, bearer(tok), "x-client", "cli"); got.code != codes.PermissionDenied {
		t.Errorf("check: %v %q", got.code, got.msg)
	}
	if got := call(t, client, listMethod, bearer(tok)); got.code != codes.Internal || got.msg != "authorization failed" || got.challenge != "" {
		t.Errorf("failing policy: %v %q %q", got.code, got.msg, got.challenge)
	}
}

func TestHiddenDescriptionsAndRealm(t *testing.T) {
	f := newFixture(t)
	noScope := f.token(t, "", nil)
	client := serve(t, newGuard(t, f.v, grpcauth.WithHiddenDescriptions(), grpcauth.WithRealm("chat"),
		grpcauth.WithPolicy(authz.RequireScopes("health:read"))))
	tests := []struct {
		name          string
		auth          []string
		wantCode      codes.Code
		wantMsg       string
		wantChallenge string
	}{
		{name: "no token", wantCode: codes.Unauthenticated, wantMsg: "unauthenticated", wantChallenge: `Bearer realm="chat"`},
		{name: "bad token", auth: bearer("garbage"), wantCode: codes.Unauthenticated, wantMsg: "unauthenticated", wantChallenge: `Bearer realm="chat", error="invalid_token"`},
		{name: "malformed", auth: []string{"Bearer a b"}, wantCode: codes.Unauthenticated, wantMsg: "unauthenticated", wantChallenge: `Bearer realm="chat", error="invalid_request"`},
		{name: "missing scope", auth: bearer(noScope), wantCode: codes.PermissionDenied, wantMsg: "insufficient scope: requires health:read",
			wantChallenge: `Bearer realm="chat", error="insufficient_scope", scope="health:read"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, client, checkMethod, tt.auth)
			if got.code != tt.wantCode || got.msg != tt.wantMsg || got.challenge != tt.wantChallenge {
				t.Errorf("got %v %q %s\nwant %v %q %s", got.code, got.msg, got.challenge, tt.wantCode, tt.wantMsg, tt.wantChallenge)
			}
		})
	}
}

func TestAuthorizeErrors(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "", nil)
	g := newGuard(t, f.v, grpcauth.WithPolicy(authz.RequireScopes("admin")))
	md := func(vals ...string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": vals})
	}
	tests := []struct {
		name     string
		ctx      context.Context
		wantCode codes.Code
		wantIs   error
		wantAs   any
	}{
		{name: "no metadata", ctx: context.Background(), wantCode: codes.Unauthenticated, wantIs: authz.ErrMissingToken, wantAs: new(*authz.ValidationError)},
		{name: "bad token", ctx: md("Bearer x.y.z"), wantCode: codes.Unauthenticated, wantIs: authz.ErrInvalidToken, wantAs: new(*authz.ValidationError)},
		{name: "malformed", ctx: md("Bearer"), wantCode: codes.Unauthenticated, wantIs: nethttp.ErrInvalidRequest, wantAs: new(*nethttp.RequestError)},
		{name: "denied", ctx: md("Bearer " + tok), wantCode: codes.PermissionDenied, wantIs: authz.ErrForbidden, wantAs: new(*authz.PolicyError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := g.Authorize(tt.ctx, checkMethod)
			if ctx != tt.ctx {
				t.Error("Authorize did not return the context it was given")
			}
			if status.Code(err) != tt.wantCode || grpcauth.Code(err) != tt.wantCode {
				t.Errorf("status.Code = %v, Code = %v, want %v", status.Code(err), grpcauth.Code(err), tt.wantCode)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("%v does not match %v", err, tt.wantIs)
			}
			switch target := tt.wantAs.(type) {
			case **authz.ValidationError:
				if !errors.As(err, target) {
					t.Errorf("%v is not a %T", err, *target)
				}
			case **nethttp.RequestError:
				if !errors.As(err, target) {
					t.Errorf("%v is not a %T", err, *target)
				}
			case **authz.PolicyError:
				if !errors.As(err, target) {
					t.Errorf("%v is not a %T", err, *target)
				}
			}
			if !strings.HasPrefix(err.Error(), "grpcauth: "+tt.wantCode.String()+": ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"nil", nil, codes.OK},
		{"keys unavailable", &authz.ValidationError{Err: authz.ErrKeysUnavailable, Reason: authz.ReasonKeysUnavailable}, codes.Unavailable},
		{"missing", &authz.ValidationError{Err: authz.ErrMissingToken, Reason: authz.ReasonMissing}, codes.Unauthenticated},
		{"expired", &authz.ValidationError{Err: authz.ErrExpired, Reason: authz.ReasonExpired}, codes.Unauthenticated},
		{"malformed request", &nethttp.RequestError{Description: "x"}, codes.Unauthenticated},
		{"forbidden", &authz.PolicyError{Requirement: "x"}, codes.PermissionDenied},
		{"token problem wins", errors.Join(&authz.PolicyError{}, &authz.ValidationError{Err: authz.ErrExpired}), codes.Unauthenticated},
		{"other", errors.New("boom"), codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := grpcauth.Code(tt.err); got != tt.want {
				t.Errorf("Code = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	f := newFixture(t)
	p := authz.RequireScopes("a")
	tests := []struct {
		name    string
		v       *authz.Validator
		opts    []grpcauth.Option
		wantErr string
	}{
		{name: "defaults", v: f.v},
		{name: "every option", v: f.v, opts: []grpcauth.Option{
			grpcauth.WithPolicy(p), grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a.B/C": p, "/a.B/*": p}),
			grpcauth.Optional(), grpcauth.OptionalMethods("/a.B/C", "/x.Y/*"), grpcauth.TenantFromMetadata("x-tenant"),
			grpcauth.WithTenantFrom(func(context.Context) string { return "" }), grpcauth.WithRealm("r"), grpcauth.WithHiddenDescriptions(),
		}},
		{name: "nil validator", v: nil, wantErr: "nil Validator"},
		{name: "nil option", v: f.v, opts: []grpcauth.Option{nil}, wantErr: "nil Option"},
		{name: "nil policy", v: f.v, opts: []grpcauth.Option{grpcauth.WithPolicy(nil)}, wantErr: "WithPolicy(nil)"},
		{name: "nil method policy", v: f.v, opts: []grpcauth.Option{grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a.B/C": nil})}, wantErr: "nil policy"},
		{name: "duplicate method", v: f.v, opts: []grpcauth.Option{
			grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a.B/C": p}), grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a.B/C": p}),
		}, wantErr: "given twice"},
		{name: "method without slash", v: f.v, opts: []grpcauth.Option{grpcauth.WithMethodPolicies(map[string]authz.Policy{"a.B/C": p})}, wantErr: "not a full method name"},
		{name: "method without service", v: f.v, opts: []grpcauth.Option{grpcauth.WithMethodPolicies(map[string]authz.Policy{"//C": p})}, wantErr: "not a full method name"},
		{name: "method without name", v: f.v, opts: []grpcauth.Option{grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a.B/": p})}, wantErr: "not a full method name"},
		{name: "method with three parts", v: f.v, opts: []grpcauth.Option{grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a/B/C": p})}, wantErr: "not a full method name"},
		{name: "partial wildcard", v: f.v, opts: []grpcauth.Option{grpcauth.WithMethodPolicies(map[string]authz.Policy{"/a.B/Get*": p})}, wantErr: "not a full method name"},
		{name: "optional malformed", v: f.v, opts: []grpcauth.Option{grpcauth.OptionalMethods("Check")}, wantErr: "OptionalMethods"},
		{name: "nil tenant function", v: f.v, opts: []grpcauth.Option{grpcauth.WithTenantFrom(nil)}, wantErr: "WithTenantFrom(nil)"},
		{name: "empty tenant key", v: f.v, opts: []grpcauth.Option{grpcauth.TenantFromMetadata("")}, wantErr: "empty key"},
		{name: "empty realm", v: f.v, opts: []grpcauth.Option{grpcauth.WithRealm("")}, wantErr: "empty realm"},
		{name: "realm with a line break", v: f.v, opts: []grpcauth.Option{grpcauth.WithRealm("a\r\nb")}, wantErr: "printable ASCII"},
		{name: "all errors reported", v: nil, opts: []grpcauth.Option{grpcauth.WithRealm("")}, wantErr: "nil Validator\ngrpcauth: WithRealm: empty realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := grpcauth.New(tt.v, tt.opts...)
			if tt.wantErr == "" {
				if err != nil || g == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestClaimsFromContextEmpty(t *testing.T) {
	if c, ok := grpcauth.ClaimsFromContext(context.Background()); ok || c != nil {
		t.Errorf("got %v, %v", c, ok)
	}
}
