package benchmarks

import (
	"context"
	"testing"
)

// TestVerifiers checks that every verifier benchmarked does the same work:
// it accepts the good tokens and rejects a forged signature, an expired
// token, a foreign audience and a foreign issuer. A verifier that skipped a
// check would look faster than it is.
func TestVerifiers(t *testing.T) {
	f := getFixture(t)
	tests := []struct {
		name    string
		tokens  map[string]string
		wantErr bool
	}{
		{name: "good", tokens: f.good},
		{name: "forged signature", tokens: f.forged, wantErr: true},
		{name: "expired", tokens: f.expired, wantErr: true},
		{name: "wrong audience", tokens: f.wrongAud, wantErr: true},
		{name: "wrong issuer", tokens: f.wrongIss, wantErr: true},
	}
	ctx := context.Background()
	for _, v := range peers(t, f) {
		for _, alg := range algs {
			verify := v.build(alg)
			for _, tt := range tests {
				t.Run(v.name+"/"+alg+"/"+tt.name, func(t *testing.T) {
					err := verify(ctx, tt.tokens[alg])
					if (err != nil) != tt.wantErr {
						t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
					}
				})
			}
		}
	}
	// The floor and jwtguard's primitive check signatures only.
	for _, alg := range algs {
		for _, tt := range tests[:2] {
			fl, err := newFloorInput(f.iss, tt.tokens[alg])
			if err != nil {
				t.Fatal(err)
			}
			for name, verify := range map[string]func(*floorInput) error{"raw": floorVerify, "primitive": primitiveVerify} {
				t.Run(name+"/"+alg+"/"+tt.name, func(t *testing.T) {
					if err := verify(fl); (err != nil) != tt.wantErr {
						t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
					}
				})
			}
		}
	}
}

// TestIssuerVerifiers checks the verifiers of BenchmarkIssuers the same way:
// with ten issuers configured, a token of one is accepted, and forged or
// foreign tokens are not.
func TestIssuerVerifiers(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	for _, n := range []int{1, 10} {
		for _, v := range issuerVerifiers(t, f, n) {
			for _, alg := range algs {
				verify := v.build(alg)
				for _, tt := range []struct {
					name    string
					token   string
					wantErr bool
				}{
					{name: "good", token: f.good[alg]},
					{name: "forged signature", token: f.forged[alg], wantErr: true},
					{name: "wrong audience", token: f.wrongAud[alg], wantErr: true},
					{name: "wrong issuer", token: f.wrongIss[alg], wantErr: true},
				} {
					t.Run(v.name+"/"+alg+"/"+tt.name, func(t *testing.T) {
						err := verify(ctx, tt.token)
						if (err != nil) != tt.wantErr {
							t.Errorf("n=%d: err = %v, wantErr %v", n, err, tt.wantErr)
						}
					})
				}
			}
		}
	}
}
