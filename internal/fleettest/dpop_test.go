package fleettest_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestFleetDPoPReplay: a DPoP proof accepted by one replica is refused by
// every other replica sharing the Redis (RFC 9449 §11.1), and of many
// replicas racing with one proof exactly one accepts it.
func TestFleetDPoPReplay(t *testing.T) {
	for _, kind := range sharingBackends {
		t.Run(kind.name, func(t *testing.T) {
			iss := authztest.NewT(t)
			f := newFleet(t, kind.make(t), iss, fleetKeys)
			rs := f.addN(t, 4, authz.WithoutBackground(), authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
			key, err := authztest.NewDPoPKey("ES256")
			if err != nil {
				t.Fatal(err)
			}
			c := iss.Claims("user-1", audience)
			c["cnf"] = key.Confirmation()
			tok := iss.MustMint(t, c)
			const uri = "https://api.example.com/v1/things"
			req := func() authz.Request {
				p, err := key.Proof("GET", uri, tok)
				if err != nil {
					t.Fatal(err)
				}
				return authz.Request{Scheme: "DPoP", Method: "GET", URI: uri, DPoP: []string{p}}
			}
			// Sequential: accepted once, refused everywhere after.
			r := req()
			if _, err := rs[0].ValidateRequest(context.Background(), tok, r); err != nil {
				t.Fatalf("first use: %v", err)
			}
			for i, rep := range rs {
				_, err := rep.ValidateRequest(context.Background(), tok, r)
				var ve *authz.ValidationError
				if !errors.As(err, &ve) || ve.Reason != authz.ReasonDPoPReplay {
					t.Fatalf("replica %d accepted a replayed proof: %v", i, err)
				}
			}
			// Concurrent: one proof, every replica at once, 8 tries each.
			r = req()
			var ok atomic.Int64
			var wg sync.WaitGroup
			for _, rep := range rs {
				for range 8 {
					wg.Go(func() {
						if _, err := rep.ValidateRequest(context.Background(), tok, r); err == nil {
							ok.Add(1)
						} else if !errors.Is(err, authz.ErrDPoPProof) {
							t.Errorf("unexpected error: %v", err)
						}
					})
				}
			}
			wg.Wait()
			if ok.Load() != 1 {
				t.Fatalf("%d of 32 concurrent uses of one proof were accepted, want 1", ok.Load())
			}
		})
	}
}
