package benchmarks

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/internal/jws"
)

// audience is the aud every good token carries and every verifier requires.
const audience = "https://api.example.com"

// algs are the algorithms compared, in table order.
var algs = []string{"RS256", "ES256", "EdDSA"}

// fixture is the shared test issuer and the tokens it minted. It is built
// once per test binary: RSA key generation is too slow to repeat per
// benchmark.
type fixture struct {
	iss *authztest.Issuer

	good     map[string]string // alg → valid token
	forged   map[string]string // alg → signed by an unpublished key under a published kid
	expired  map[string]string // alg → exp an hour ago
	wrongAud map[string]string // alg → aud another API's
	wrongIss map[string]string // alg → iss another issuer's, signed with this issuer's key
	floor    map[string]*floorInput

	// others are nine more issuers, for BenchmarkIssuers; built on first
	// use.
	othersOnce sync.Once
	others     []*authztest.Issuer
	othersErr  error
}

// floorInput is what the raw verification needs, prepared beforehand: the
// signing input, the decoded signature (for ECDSA also re-encoded as the
// ASN.1 DER that crypto/ecdsa verifies) and the parsed public key; and, for
// the primitive, jwtguard's own prepared key (internal/jws).
type floorInput struct {
	signingInput []byte
	sig          []byte
	der          []byte // ECDSA only: SEQUENCE { r, s }
	pub          any
	alg          jws.Alg
	key          *jws.Key
}

var (
	fix     *fixture
	fixOnce sync.Once
	fixErr  error
)

// TestMain closes the test issuers after every test and benchmark ran.
// After benchmarks it prints the tokens' shapes (see describeTokens) for
// cmd/benchtable.
func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		if b := flag.Lookup("test.bench"); b != nil && b.Value.String() != "" {
			fix.describeTokens(os.Stdout)
		}
		fix.close()
	}
	os.Exit(code)
}

// describeTokens writes, for each algorithm, a line "token: ALG header=E/D
// payload=E/D signature=E/D total=N" giving the encoded (base64url) and
// decoded sizes in bytes of the good token's parts, then its header and
// payload as "token-header: ALG JSON" and "token-payload: ALG JSON".
func (f *fixture) describeTokens(w io.Writer) {
	for _, alg := range algs {
		tok := f.good[alg]
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			continue
		}
		var dec [3][]byte
		for i, p := range parts {
			dec[i], _ = base64.RawURLEncoding.DecodeString(p)
		}
		fmt.Fprintf(w, "token: %s header=%d/%d payload=%d/%d signature=%d/%d total=%d\n", alg,
			len(parts[0]), len(dec[0]), len(parts[1]), len(dec[1]), len(parts[2]), len(dec[2]), len(tok))
		fmt.Fprintf(w, "token-header: %s %s\n", alg, dec[0])
		fmt.Fprintf(w, "token-payload: %s %s\n", alg, dec[1])
	}
}

// getFixture returns the shared fixture, building it on first use.
func getFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture() })
	if fixErr != nil {
		tb.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

func newFixture() (*fixture, error) {
	iss, err := authztest.New() // publishes RS256-1
	if err != nil {
		return nil, err
	}
	f := &fixture{
		iss:      iss,
		good:     map[string]string{},
		forged:   map[string]string{},
		expired:  map[string]string{},
		wrongAud: map[string]string{},
		wrongIss: map[string]string{},
		floor:    map[string]*floorInput{},
	}
	// Key IDs must differ from those of the other issuers (whose RSA key is
	// RS256-1), so that verifiers merging several JWKS (keyfunc) pick the
	// right key: ES256-2, EdDSA-3, RS256-4, and RS256-1 retired.
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		if _, err := iss.Rotate(alg); err != nil {
			iss.Close()
			return nil, err
		}
	}
	iss.Retire("RS256-1")

	if err := f.mint(); err != nil {
		iss.Close()
		return nil, err
	}
	return f, nil
}

// mint signs every token of the fixture.
func (f *fixture) mint() error {
	now := time.Now()
	for _, alg := range algs {
		var err error
		mint := func(claims map[string]any, opts ...authztest.TokenOption) string {
			if err != nil {
				return ""
			}
			var tok string
			tok, err = f.iss.Mint(claims, append(opts, authztest.WithAlg(alg))...)
			return tok
		}
		f.good[alg] = mint(f.claims(audience))
		f.forged[alg] = mint(f.claims(audience), authztest.WithUnpublishedKey())
		c := f.claims(audience)
		c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		f.expired[alg] = mint(c)
		f.wrongAud[alg] = mint(f.claims("https://other.example.com"))
		c = f.claims(audience)
		c["iss"] = "https://evil.example.com"
		f.wrongIss[alg] = mint(c)
		if err != nil {
			return fmt.Errorf("mint %s: %w", alg, err)
		}
		if f.floor[alg], err = newFloorInput(f.iss, f.good[alg]); err != nil {
			return fmt.Errorf("floor %s: %w", alg, err)
		}
	}
	return nil
}

// claims are those of every token benchmarked: an access token as IdPs
// issue them (issue 11 measured this set), exp an hour ahead.
func (f *fixture) claims(aud string) map[string]any {
	c := f.iss.Claims("user-1", aud) // iss, sub, aud, iat, exp
	c["jti"] = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
	c["client_id"] = "client-1"
	c["scope"] = "read:messages write:messages"
	return c
}

// newFloorInput splits a compact JWS and finds its key among the issuer's
// published ones.
func newFloorInput(iss *authztest.Issuer, token string) (*floorInput, error) {
	dot := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		return nil, err
	}
	hb, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	if err != nil {
		return nil, err
	}
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, err
	}
	fl := &floorInput{signingInput: []byte(token[:dot]), sig: sig, pub: iss.PublicKey(h.Kid), alg: jws.ParseAlg(h.Alg)}
	switch fl.pub.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
	case *ecdsa.PublicKey:
		half := len(sig) / 2
		var b cryptobyte.Builder
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1BigInt(new(big.Int).SetBytes(sig[:half]))
			b.AddASN1BigInt(new(big.Int).SetBytes(sig[half:]))
		})
		if fl.der, err = b.Bytes(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("no published key %q", h.Kid)
	}
	if fl.key, err = jws.NewKey(h.Kid, fl.alg, fl.pub); err != nil {
		return nil, err
	}
	return fl, nil
}

// otherIssuers returns nine more running issuers, each with one RS256 key.
func (f *fixture) otherIssuers(tb testing.TB) []*authztest.Issuer {
	tb.Helper()
	f.othersOnce.Do(func() {
		for range 9 {
			o, err := authztest.New()
			if err != nil {
				f.othersErr = err
				return
			}
			f.others = append(f.others, o)
		}
	})
	if f.othersErr != nil {
		tb.Fatalf("other issuers: %v", f.othersErr)
	}
	return f.others
}

func (f *fixture) close() {
	for _, o := range f.others {
		o.Close()
	}
	f.iss.Close()
}

// warmCtx bounds set-up work that fetches keys.
func warmCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return ctx
}
