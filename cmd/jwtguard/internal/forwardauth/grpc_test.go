package forwardauth

import (
	"context"
	"net"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/jwtguard/jwtguard/authztest"
)

func TestEnvoyGRPC(t *testing.T) {
	idp := authztest.NewT(t)
	down := authztest.NewT(t)
	down.SetFailure(authztest.Fail5xx)
	a := newAuthorizer(t, `
issuers:
  - issuer: `+idp.URL()+`
    audiences: [`+aud+`]
  - issuer: `+down.URL()+`
    audiences: [`+aud+`]
realm: api
retry_after: 7s
decision_timeout: 2s
rules:
  - paths: [/public/*]
    anonymous: true
  - paths: [/api/*]
    scopes: [read:messages]
`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	a.RegisterEnvoyGRPC(srv)
	go srv.Serve(ln)
	defer srv.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)

	mint := func(iss *authztest.Issuer, scope string) string {
		c := iss.Claims("alice", aud)
		c["scope"] = scope
		c["email"] = "alice@example.com"
		return iss.MustMint(t, c)
	}
	check := func(path, token string) *authv3.CheckResponse {
		t.Helper()
		headers := map[string]string{"x-auth-request-user": "mallory"}
		if token != "" {
			headers["authorization"] = "Bearer " + token
		}
		req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Host: "api.example.com", Path: path, Headers: headers},
		}}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := client.Check(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	headers := func(res *authv3.CheckResponse) map[string]string {
		m := map[string]string{}
		if ok := res.GetOkResponse(); ok != nil {
			for _, h := range ok.GetHeaders() {
				m[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
			}
			for _, h := range ok.GetHeadersToRemove() {
				m[h] = "<removed>"
			}
		}
		if d := res.GetDeniedResponse(); d != nil {
			for _, h := range d.GetHeaders() {
				m[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
			}
		}
		return m
	}

	tests := []struct {
		name       string
		path       string
		token      string
		code       codes.Code
		httpStatus int32 // of a denial
		want       map[string]string
	}{
		{"good token", "/api/messages?x=1", mint(idp, "read:messages"), codes.OK, 0,
			map[string]string{"X-Auth-Request-User": "alice", "X-Auth-Request-Email": "alice@example.com", "X-Auth-Request-Tenant": "<removed>"}},
		{"no token", "/api/messages", "", codes.Unauthenticated, 401, map[string]string{"Www-Authenticate": `Bearer realm="api"`}},
		{"missing scope", "/api/messages", mint(idp, "write:messages"), codes.PermissionDenied, 403,
			map[string]string{"Www-Authenticate": `Bearer realm="api", error="insufficient_scope", scope="read:messages"`}},
		{"keys unavailable", "/api/messages", mint(down, "read:messages"), codes.Unavailable, 503, map[string]string{"Retry-After": "7"}},
		{"anonymous: forged identity removed", "/public/x", "", codes.OK, 0, map[string]string{"X-Auth-Request-User": "<removed>"}},
		{"traversal", "/public/%2e%2e/api/messages", "", codes.Unauthenticated, 401, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(tt.path, tt.token)
			if got := codes.Code(res.GetStatus().GetCode()); got != tt.code {
				t.Fatalf("code %v, want %v", got, tt.code)
			}
			if tt.httpStatus != 0 {
				if got := int32(res.GetDeniedResponse().GetStatus().GetCode()); got != tt.httpStatus {
					t.Errorf("HTTP status %d, want %d", got, tt.httpStatus)
				}
			}
			got := headers(res)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("header %s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}
