package benchmarks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	auth0jwks "github.com/auth0/go-jwt-middleware/v3/jwks"
	auth0 "github.com/auth0/go-jwt-middleware/v3/validator"
	"github.com/coreos/go-oidc/v3/oidc"
	gjwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/internal/jws"
)

// leeway is the clock skew every verifier that has the setting tolerates.
const leeway = 30 * time.Second

// verifyFunc checks one token: signature, iss, aud and exp.
type verifyFunc func(ctx context.Context, token string) error

// verifier is one implementation under comparison. build returns its check
// for tokens of one algorithm; every verifier shares its key cache across
// algorithms except auth0's, whose Validator takes exactly one.
type verifier struct {
	name  string
	build func(alg string) verifyFunc
}

// peers returns jwtguard and every peer, configured for the fixture's
// issuer and audience, with their keys fetched from its JWKS. The raw floor
// is not among them (see floorVerify). Everything they start is stopped
// when tb ends.
func peers(tb testing.TB, f *fixture) []verifier {
	tb.Helper()
	vs := []verifier{
		{"jwtguard", constant(newJWTGuard(tb, []authz.Issuer{f.iss.OIDC(audience)}))},
		{"jwtguard-cached", constant(newJWTGuard(tb, []authz.Issuer{f.iss.OIDC(audience)}, withTokenCache))},
		{"golang-jwt", constant(newGolangJWT(tb, f))},
		{"jwx", constant(newJWX(tb, f))},
		{"go-oidc", constant(newGoOIDC(tb, f))},
		{"auth0", newAuth0(tb, f)},
	}
	// Fetch every key set before anything is timed.
	ctx := warmCtx(tb)
	for _, v := range vs {
		for _, alg := range algs {
			if err := v.build(alg)(ctx, f.good[alg]); err != nil {
				tb.Fatalf("%s: warm-up with a good %s token: %v", v.name, alg, err)
			}
		}
	}
	return vs
}

func constant(fn verifyFunc) func(string) verifyFunc {
	return func(string) verifyFunc { return fn }
}

// withTokenCache turns on jwtguard's verified-token cache with its default
// bounds: a repeated token skips parsing and signature work.
var withTokenCache = authz.WithTokenCache(authz.TokenCacheOptions{})

// newJWTGuard returns authz.Validator.Validate for the issuers, keys warm.
func newJWTGuard(tb testing.TB, issuers []authz.Issuer, opts ...authz.Option) verifyFunc {
	tb.Helper()
	v := newValidator(tb, issuers, opts...)
	return func(ctx context.Context, token string) error {
		_, err := v.Validate(ctx, token)
		return err
	}
}

// newValidator returns a Validator for the issuers with their keys fetched,
// and closes it when tb ends.
func newValidator(tb testing.TB, issuers []authz.Issuer, opts ...authz.Option) *authz.Validator {
	tb.Helper()
	v, err := authz.New(issuers, append([]authz.Option{authz.WithoutBackground()}, opts...)...)
	if err != nil {
		tb.Fatalf("authz.New: %v", err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	if err := v.Warm(warmCtx(tb)); err != nil {
		tb.Fatalf("Warm: %v", err)
	}
	return v
}

// newGolangJWT is golang-jwt v5 with a keyfunc v3 JWKS client, the way its
// README shows, requiring exp, iss and aud.
func newGolangJWT(tb testing.TB, f *fixture) verifyFunc {
	tb.Helper()
	kf := newKeyfunc(tb, f.iss.JWKSURL())
	p := gjwt.NewParser(
		gjwt.WithValidMethods(algs),
		gjwt.WithIssuer(f.iss.URL()),
		gjwt.WithAudience(audience),
		gjwt.WithExpirationRequired(),
		gjwt.WithLeeway(leeway),
	)
	return func(_ context.Context, token string) error {
		var c gjwt.RegisteredClaims
		_, err := p.ParseWithClaims(token, &c, kf.Keyfunc)
		return err
	}
}

func newKeyfunc(tb testing.TB, urls ...string) keyfunc.Keyfunc {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel) // ends keyfunc's refresh goroutine
	kf, err := keyfunc.NewDefaultCtx(ctx, urls)
	if err != nil {
		tb.Fatalf("keyfunc: %v", err)
	}
	return kf
}

// newJWX is lestrrat-go/jwx v3 with a jwk.Cache registered for the JWKS URL.
func newJWX(tb testing.TB, f *fixture) verifyFunc {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		tb.Fatalf("jwk.NewCache: %v", err)
	}
	if err := cache.Register(warmCtx(tb), f.iss.JWKSURL()); err != nil {
		tb.Fatalf("jwk.Cache.Register: %v", err)
	}
	set, err := cache.CachedSet(f.iss.JWKSURL())
	if err != nil {
		tb.Fatalf("jwk.Cache.CachedSet: %v", err)
	}
	opts := []jwxjwt.ParseOption{
		jwxjwt.WithKeySet(set),
		jwxjwt.WithValidate(true),
		jwxjwt.WithIssuer(f.iss.URL()),
		jwxjwt.WithAudience(audience),
		jwxjwt.WithRequiredClaim("exp"),
		jwxjwt.WithAcceptableSkew(leeway),
	}
	return func(_ context.Context, token string) error {
		_, err := jwxjwt.ParseString(token, opts...)
		return err
	}
}

// newGoOIDC is coreos/go-oidc v3's IDTokenVerifier over a RemoteKeySet, the
// audience checked through ClientID.
func newGoOIDC(tb testing.TB, f *fixture) verifyFunc {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	ks := oidc.NewRemoteKeySet(ctx, f.iss.JWKSURL())
	v := oidc.NewVerifier(f.iss.URL(), ks, &oidc.Config{
		ClientID:             audience, // SkipClientIDCheck stays false
		SupportedSigningAlgs: algs,
	})
	return func(ctx context.Context, token string) error {
		_, err := v.Verify(ctx, token)
		return err
	}
}

// newAuth0 is auth0/go-jwt-middleware v3's Validator (built on jwx v3)
// over its caching JWKS provider. A Validator is given one algorithm, as
// the package's documentation shows, so there is one per alg, all sharing
// the provider.
func newAuth0(tb testing.TB, f *fixture) func(alg string) verifyFunc {
	tb.Helper()
	byAlg := map[string]verifyFunc{}
	for alg, v := range newAuth0Validators(tb, f) {
		byAlg[alg] = func(ctx context.Context, token string) error {
			_, err := v.ValidateToken(ctx, token)
			return err
		}
	}
	return func(alg string) verifyFunc { return byAlg[alg] }
}

// newAuth0Validators returns an auth0 Validator per algorithm, sharing one
// caching provider of the fixture's JWKS.
func newAuth0Validators(tb testing.TB, f *fixture) map[string]*auth0.Validator {
	tb.Helper()
	issuerURL, err := url.Parse(f.iss.URL())
	if err != nil {
		tb.Fatal(err)
	}
	jwksURL, err := url.Parse(f.iss.JWKSURL())
	if err != nil {
		tb.Fatal(err)
	}
	provider, err := auth0jwks.NewCachingProvider(
		auth0jwks.WithIssuerURL(issuerURL),
		auth0jwks.WithCustomJWKSURI(jwksURL),
		auth0jwks.WithCacheTTL(5*time.Minute),
	)
	if err != nil {
		tb.Fatalf("auth0 jwks.NewCachingProvider: %v", err)
	}
	vs := map[string]*auth0.Validator{}
	for _, alg := range algs {
		v, err := auth0.New(
			auth0.WithKeyFunc(provider.KeyFunc),
			auth0.WithAlgorithm(auth0.SignatureAlgorithm(alg)),
			auth0.WithIssuer(f.iss.URL()),
			auth0.WithAudience(audience),
			auth0.WithAllowedClockSkew(leeway),
		)
		if err != nil {
			tb.Fatalf("auth0 validator.New: %v", err)
		}
		vs[alg] = v
	}
	return vs
}

// errBadSignature is the raw floor's answer to a signature that does not
// verify.
var errBadSignature = errors.New("signature does not verify")

// floorVerify is the least any verifier must do: hash the signing input
// (SHA-256 for RS256 and ES256; Ed25519 hashes inside) and check the
// signature with the standard library, the key parsed and the signature
// decoded beforehand: rsa.VerifyPKCS1v15, ecdsa.VerifyASN1 (what
// ecdsa.Verify calls, without re-encoding r and s each time) or
// ed25519.Verify. Nothing is decoded or parsed.
func floorVerify(fl *floorInput) error {
	switch pub := fl.pub.(type) {
	case *rsa.PublicKey:
		h := sha256.Sum256(fl.signingInput)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], fl.sig)
	case *ecdsa.PublicKey:
		h := sha256.Sum256(fl.signingInput)
		if !ecdsa.VerifyASN1(pub, h[:], fl.der) {
			return errBadSignature
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, fl.signingInput, fl.sig) {
			return errBadSignature
		}
		return nil
	}
	return fmt.Errorf("unexpected key type %T", fl.pub)
}

// primitiveVerify is jwtguard's own signature check on the same prepared
// input: internal/jws.Verify with a key made by jws.NewKey, as Validate
// calls it after parsing (for RS256 the modulus prepared once,
// internal/pkcs1). Validate's cost less this one is what jwtguard adds.
func primitiveVerify(fl *floorInput) error {
	if !jws.Verify(fl.alg, fl.key, fl.signingInput, fl.sig) {
		return errBadSignature
	}
	return nil
}
