package authz_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/internal/jws"
)

// TestValidateAllocs holds warm validation to at most 6 allocations beyond
// those of the signature primitive itself (jws.Verify on the same bytes and
// key, hashing included), on every algorithm, for a token with iss, sub,
// aud, exp, iat, jti, client_id and scope. Allocation counts are exact, not
// timings: this cannot flake on a loaded machine.
func TestValidateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts: skipped in -short mode")
	}
	iss := authztest.NewT(t)
	algs := []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"}
	for _, alg := range algs[1:] {
		if _, err := iss.Rotate(alg); err != nil {
			t.Fatal(err)
		}
	}
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	claims := iss.Claims("user-1", "api")
	claims["jti"] = "4f1c2d3e"
	claims["client_id"] = "client-1"
	claims["scope"] = "read:messages write:messages"
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			tok := iss.MustMint(t, claims, authztest.WithAlg(alg))
			if _, err := v.Validate(bg, tok); err != nil {
				t.Fatal(err)
			}
			kid := iss.CurrentKeyID(alg)
			key, err := jws.NewKey(kid, jws.ParseAlg(alg), iss.PublicKey(kid))
			if err != nil {
				t.Fatal(err)
			}
			i := strings.LastIndexByte(tok, '.')
			input := []byte(tok[:i])
			sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
			raw := testing.AllocsPerRun(50, func() {
				if !jws.Verify(jws.ParseAlg(alg), key, input, sig) {
					t.Fatal("raw verify failed")
				}
			})
			all := testing.AllocsPerRun(50, func() {
				if _, err := v.Validate(bg, tok); err != nil {
					t.Fatal(err)
				}
			})
			t.Logf("%s: Validate %.0f allocs, signature primitive %.0f", alg, all, raw)
			if all-raw > 6 {
				t.Errorf("%s: %.0f allocations beyond the signature primitive's %.0f, want at most 6", alg, all-raw, raw)
			}
		})
	}
}
