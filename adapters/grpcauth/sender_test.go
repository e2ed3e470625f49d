package grpcauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/jwtguard/jwtguard/adapters/grpcauth"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestDPoP: a DPoP-bound token over gRPC needs a proof for POST and
// http(s)://<authority>/<service>/<method>; sent as Bearer it is refused.
func TestDPoP(t *testing.T) {
	f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
	g := newGuard(t, f.v)
	client, addr := serveAt(t, g)

	key, _ := authztest.NewDPoPKey("ES256")
	tok := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
	htu := "http://" + addr + checkMethod
	proof := func(method, uri string) string {
		p, err := key.Proof(method, uri, tok)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name  string
		auth  string
		proof string
		want  codes.Code
	}{
		{"good proof", "DPoP " + tok, proof("POST", htu), codes.OK},
		{"proof for another method", "DPoP " + tok, proof("POST", "http://"+addr+watchMethod), codes.Unauthenticated},
		{"proof for GET", "DPoP " + tok, proof("GET", htu), codes.Unauthenticated},
		{"no proof", "DPoP " + tok, "", codes.Unauthenticated},
		{"bound token as Bearer", "Bearer " + tok, "", codes.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pairs []string
			if tc.proof != "" {
				pairs = append(pairs, "dpop", tc.proof)
			}
			if r := call(t, client, checkMethod, []string{tc.auth}, pairs...); r.code != tc.want {
				t.Fatalf("code %v (%s), want %v", r.code, r.msg, tc.want)
			}
		})
	}
}

// TestDPoPNonce: use_dpop_nonce comes with a "dpop-nonce" trailer, and a
// proof carrying that nonce is accepted.
func TestDPoPNonce(t *testing.T) {
	f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed, NonceSecret: []byte("a DPoP nonce secret of 32 bytes!")}))
	g := newGuard(t, f.v)
	client, addr := serveAt(t, g)
	key, _ := authztest.NewDPoPKey("ES256")
	tok := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
	htu := "http://" + addr + checkMethod
	check := func(opts ...authztest.ProofOption) (codes.Code, metadata.MD) {
		p, err := key.Proof("POST", htu, tok, opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "DPoP "+tok, "dpop", p)
		var tr metadata.MD
		_, err = client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Trailer(&tr))
		return status.Code(err), tr
	}
	code, tr := check()
	if code != codes.Unauthenticated || len(tr["dpop-nonce"]) != 1 || !strings.Contains(tr["www-authenticate"][0], `error="use_dpop_nonce"`) {
		t.Fatalf("without a nonce: %v, trailer %v", code, tr)
	}
	if code, tr := check(authztest.WithProofNonce(tr["dpop-nonce"][0])); code != codes.OK {
		t.Fatalf("with the nonce: %v, trailer %v", code, tr)
	}
}

// TestErrorHandler: the hook sees every refusal with its cause and may
// replace the error sent; the trailer stays.
func TestErrorHandler(t *testing.T) {
	f := newFixture(t)
	var seen []string
	g := newGuard(t, f.v, grpcauth.WithErrorHandler(func(ctx context.Context, err error) error {
		var ve *authz.ValidationError
		if errors.As(err, &ve) {
			seen = append(seen, string(ve.Reason))
			return status.Error(codes.Unauthenticated, "custom: "+string(ve.Reason))
		}
		seen = append(seen, "other")
		return err
	}))
	client := serve(t, g)
	r := call(t, client, checkMethod, []string{"Bearer " + f.token(t, "", func(c map[string]any) { c["exp"] = 1 })})
	if r.code != codes.Unauthenticated || r.msg != "custom: expired" || r.challenge == "" {
		t.Fatalf("replaced error: %+v", r)
	}
	r = call(t, client, checkMethod, nil)
	if r.code != codes.Unauthenticated || len(seen) != 2 || seen[1] != "missing_token" && seen[1] != "other" {
		t.Fatalf("no token: %+v, seen %q", r, seen)
	}
	if _, err := grpcauth.New(f.v, grpcauth.WithErrorHandler(nil)); err == nil {
		t.Fatal("WithErrorHandler(nil) accepted")
	}
}
