package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/jwtguard/jwtguard/adapters/grpcauth"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

const audience = "https://api.example.com"

const (
	check = "/grpc.health.v1.Health/Check"
	list  = "/grpc.health.v1.Health/List"
	watch = "/grpc.health.v1.Health/Watch"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "grpc:", err)
		os.Exit(1)
	}
}

// run starts the issuer and the server, makes the calls and writes one
// line per call to out. It returns an error if a call answers with an
// unexpected code.
func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// 1. An identity provider. In production: authz.Auth0(...), authz.Descope(...), authz.OIDC(...).
	idp, err := authztest.New()
	if err != nil {
		return err
	}
	defer idp.Close()

	// 2. The Validator, trusting that issuer for our audience.
	v, err := authz.New([]authz.Issuer{idp.OIDC(audience)})
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Warm(ctx); err != nil { // optional: fail fast if the keys cannot be had
		return err
	}

	// 3. The server: a default policy, one per method, and an open method.
	guard, err := grpcauth.New(v,
		grpcauth.WithPolicy(authz.RequireScopes("health:read")),
		grpcauth.WithMethodPolicies(map[string]authz.Policy{
			watch: authz.RequireScopes("health:read", "health:watch"),
		}),
		grpcauth.OptionalMethods(check),
	)
	if err != nil {
		return err
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(guard.Unary, callerUnary),
		grpc.ChainStreamInterceptor(guard.Stream, callerStream),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	// 4. Tokens.
	var mintErr error
	mint := func(sub string, edit func(map[string]any)) string {
		c := idp.Claims(sub, audience)
		edit(c)
		tok, err := idp.Mint(c)
		mintErr = errors.Join(mintErr, err)
		return tok
	}
	reader := mint("alice", func(c map[string]any) { c["scope"] = "health:read" })
	watcher := mint("bob", func(c map[string]any) { c["scope"] = "health:read health:watch" })
	expired := mint("carol", func(c map[string]any) {
		c["scope"] = "health:read"
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})
	if mintErr != nil {
		return mintErr
	}

	// 5. Call the server.
	calls := []struct {
		method, token string
		code          codes.Code
	}{
		{check, "", codes.OK},
		{list, "", codes.Unauthenticated},
		{list, expired, codes.Unauthenticated},
		{list, reader, codes.OK},
		{watch, reader, codes.PermissionDenied},
		{watch, watcher, codes.OK},
	}
	var errs []error
	for _, c := range calls {
		code, result := callMethod(ctx, client, c.method, c.token)
		fmt.Fprintf(out, "%-6s %-16s %s\n", c.method[strings.LastIndexByte(c.method, '/')+1:], code, result)
		if code != c.code {
			errs = append(errs, fmt.Errorf("%s: code %v, want %v", c.method, code, c.code))
		}
	}
	return errors.Join(errs...)
}

// callMethod calls one of the health methods with the token, if any, and
// returns the code and a summary: the caller the server saw, or the
// status message and the www-authenticate trailer.
func callMethod(ctx context.Context, client healthpb.HealthClient, method, token string) (codes.Code, string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the Watch stream
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	var header, trailer metadata.MD
	var err error
	switch method {
	case check:
		_, err = client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&header), grpc.Trailer(&trailer))
	case list:
		_, err = client.List(ctx, &healthpb.HealthListRequest{}, grpc.Header(&header), grpc.Trailer(&trailer))
	case watch:
		var stream healthpb.Health_WatchClient
		if stream, err = client.Watch(ctx, &healthpb.HealthCheckRequest{}); err == nil {
			if _, err = stream.Recv(); err == nil {
				header, err = stream.Header()
			}
			trailer = stream.Trailer()
		}
	}
	if err != nil {
		st := status.Convert(err)
		return st.Code(), fmt.Sprintf("%q %s", st.Message(), strings.Join(trailer.Get("www-authenticate"), ""))
	}
	return codes.OK, "caller " + strings.Join(header.Get("x-caller"), "")
}

// caller names the caller that the guard authorized, from the claims.
func caller(ctx context.Context) metadata.MD {
	sub := "anonymous"
	if c, ok := grpcauth.ClaimsFromContext(ctx); ok {
		sub = c.Subject
	}
	return metadata.Pairs("x-caller", sub)
}

// callerUnary and callerStream run after the guard and send the caller
// back in a header, to show that the claims reach the handler's context.
func callerUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := grpc.SetHeader(ctx, caller(ctx)); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func callerStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := ss.SetHeader(caller(ss.Context())); err != nil {
		return err
	}
	return handler(srv, ss)
}
