package grpcauth_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/jwtguard/jwtguard/adapters/grpcauth"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func ExampleGuard() {
	iss, _ := authztest.New() // a test issuer; in production, authz.Auth0(...) and the like
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	g, err := grpcauth.New(v,
		grpcauth.WithPolicy(authz.RequireScopes("health:read")),
		grpcauth.WithMethodPolicies(map[string]authz.Policy{
			"/grpc.health.v1.Health/Watch": authz.RequireScopes("health:read", "health:watch"),
		}),
	)
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(g.Unary), grpc.StreamInterceptor(g.Stream))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(lis)
	defer srv.Stop()

	conn, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	check := func(token string) {
		ctx := context.Background()
		if token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		}
		var trailer metadata.MD
		res, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Trailer(&trailer))
		if err != nil {
			st := status.Convert(err)
			fmt.Printf("%v %q %s\n", st.Code(), st.Message(), trailer.Get("www-authenticate"))
			return
		}
		fmt.Println(res.GetStatus())
	}

	reader := iss.Claims("user-1", "my-api")
	reader["scope"] = "health:read"
	check(mint(iss, reader))
	check("")
	check("not-a-jwt")
	check(mint(iss, iss.Claims("user-2", "my-api")))
	// Output:
	// SERVING
	// Unauthenticated "no bearer token" [Bearer realm="api"]
	// Unauthenticated "token is malformed" [Bearer realm="api", error="invalid_token", error_description="token is malformed"]
	// PermissionDenied "insufficient scope: requires health:read" [Bearer realm="api", error="insufficient_scope", scope="health:read"]
}

func ExampleClaimsFromContext() {
	// In a handler behind a Guard:
	sayHello := func(ctx context.Context) string {
		claims, ok := grpcauth.ClaimsFromContext(ctx)
		if !ok {
			return "hello, anonymous" // an optional method called without a token
		}
		return "hello, " + claims.Subject
	}
	fmt.Println(sayHello(context.Background()))
	// Output:
	// hello, anonymous
}

func ExampleCode() {
	expired := &authz.ValidationError{Err: authz.ErrExpired, Reason: authz.ReasonExpired}
	denied := &authz.PolicyError{Requirement: `scope "write:messages"`, Scopes: []string{"write:messages"}}
	fmt.Println(grpcauth.Code(expired))
	fmt.Println(grpcauth.Code(denied))
	fmt.Println(grpcauth.Code(authz.ErrKeysUnavailable))
	// Output:
	// Unauthenticated
	// PermissionDenied
	// Unavailable
}

func mint(iss *authztest.Issuer, claims map[string]any) string {
	tok, err := iss.Mint(claims)
	if err != nil {
		panic(err)
	}
	return tok
}
