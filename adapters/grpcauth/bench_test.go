package grpcauth_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/jwtguard/jwtguard/adapters/grpcauth"
	"github.com/jwtguard/jwtguard/authz"
)

// BenchmarkUnary is the unary interceptor with a scope policy, called
// directly (no transport): metadata, parsing, Validate, policy, context.
func BenchmarkUnary(b *testing.B) {
	f := newFixture(b)
	tok := f.token(b, "health:read", nil)
	if _, err := f.v.Validate(context.Background(), tok); err != nil { // warm the keys
		b.Fatal(err)
	}
	g := newGuard(b, f.v, grpcauth.WithPolicy(authz.RequireScopes("health:read")))
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
	info := &grpc.UnaryServerInfo{FullMethod: checkMethod}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Unary(ctx, nil, info, handler); err != nil {
			b.Fatal(err)
		}
	}
}
