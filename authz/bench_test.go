package authz_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// BenchmarkValidate measures warm validation beside the raw signature
// verification of the same bytes with the same key (hash included), the
// floor any verifier pays.
func BenchmarkValidate(b *testing.B) {
	iss, err := authztest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	for _, alg := range []string{"ES256", "EdDSA"} {
		if _, err := iss.Rotate(alg); err != nil {
			b.Fatal(err)
		}
	}
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	claims := iss.Claims("user-1", "api")
	claims["scope"] = "read:messages write:messages"
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		tok, err := iss.Mint(claims, authztest.WithAlg(alg))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Validate(bg, tok); err != nil {
			b.Fatal(err)
		}
		var kid string
		for _, k := range iss.KeyIDs() {
			if strings.HasPrefix(k, alg+"-") {
				kid = k
			}
		}
		pub := iss.PublicKey(kid)
		b.Run(alg+"/Validate", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Validate(bg, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/Raw", func(b *testing.B) {
			i := strings.LastIndexByte(tok, '.')
			input := []byte(tok[:i])
			sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
			b.ReportAllocs()
			for b.Loop() {
				if !rawVerify(alg, pub, input, sig) {
					b.Fatal("raw verify failed")
				}
			}
		})
		b.Run(alg+"/ValidateParallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Validate(bg, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func rawVerify(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	switch alg {
	case "RS256":
		h := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig) == nil
	case "ES256":
		h := sha256.Sum256(input)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pub.(*ecdsa.PublicKey), h[:], r, s)
	case "EdDSA":
		return ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	}
	return false
}

// BenchmarkRejectMalformed measures the cost of turning away garbage.
func BenchmarkRejectMalformed(b *testing.B) {
	iss, err := authztest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = v.Validate(bg, "not.a.token")
	}
}

// BenchmarkValidateCached measures a repeat token with the verified-token
// cache on.
func BenchmarkValidateCached(b *testing.B) {
	iss, err := authztest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground(), authz.WithTokenCache(authz.TokenCacheOptions{}))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	tok, _ := iss.Mint(iss.Claims("user-1", "api"))
	if _, err := v.Validate(bg, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(bg, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateIssuers compares 1 and 10 configured issuers.
func BenchmarkValidateIssuers(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("issuers=%d", n), func(b *testing.B) {
			var issuers []authz.Issuer
			var first *authztest.Issuer
			for i := 0; i < n; i++ {
				iss, err := authztest.New()
				if err != nil {
					b.Fatal(err)
				}
				defer iss.Close()
				if first == nil {
					first = iss
				}
				issuers = append(issuers, iss.OIDC("api"))
			}
			v, err := authz.New(issuers, authz.WithoutBackground())
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			tok, _ := first.Mint(first.Claims("u", "api"), authztest.WithAlg("EdDSA"))
			if _, err := v.Validate(bg, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Validate(bg, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidateCachedParallel: repeat tokens from every core at once.
func BenchmarkValidateCachedParallel(b *testing.B) {
	iss, err := authztest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground(), authz.WithTokenCache(authz.TokenCacheOptions{}))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	tok, _ := iss.Mint(iss.Claims("user-1", "api"))
	if _, err := v.Validate(bg, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Validate(bg, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDPoP compares a DPoP-bound request (token and proof: two
// signatures, the proof checks and the replay mark) with a bearer request
// of the same kind of token. Each DPoP iteration gets a fresh proof (a
// proof is good once), all made before the timer starts.
func BenchmarkDPoP(b *testing.B) {
	iss, err := authztest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground(), authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	key, err := authztest.NewDPoPKey("ES256")
	if err != nil {
		b.Fatal(err)
	}
	plain := iss.MustMint(b, iss.Claims("user-1", "api"), authztest.WithAlg("ES256"))
	c := iss.Claims("user-1", "api")
	c["cnf"] = key.Confirmation()
	bound := iss.MustMint(b, c, authztest.WithAlg("ES256"))
	const uri = "https://api.example.com/v1/things"
	if _, err := v.Validate(bg, plain); err != nil {
		b.Fatal(err)
	}
	b.Run("bearer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.ValidateRequest(bg, plain, authz.Request{Scheme: "Bearer", Method: "GET", URI: uri}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dpop", func(b *testing.B) {
		reqs := make([]authz.Request, b.N)
		for i := range reqs {
			p, err := key.Proof("GET", uri, bound)
			if err != nil {
				b.Fatal(err)
			}
			reqs[i] = authz.Request{Scheme: "DPoP", Method: "GET", URI: uri, DPoP: []string{p}}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := v.ValidateRequest(bg, bound, reqs[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
