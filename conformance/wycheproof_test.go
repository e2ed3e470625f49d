package conformance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/c2sp/wycheproof"

	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/internal/pkcs1"
)

// Every Wycheproof vector is checked against its expected result: each
// "valid" vector must be accepted and each "invalid" one rejected. A vector
// marked "acceptable" is one a correct implementation may accept or reject;
// jwtguard's verdict on each is written down in acceptableVerdicts and
// asserted, so that a change of behaviour fails the test either way.
//
// Summary of the acceptable vectors: the only ones in the files used are
// the "MissingNull" PKCS #1 v1.5 signatures (tcId 8 of each
// rsa_signature_{2048,3072,4096,8192}_sha{256,384,512}_test.json), whose
// DigestInfo omits the NULL parameters of the hash's AlgorithmIdentifier.
// jwtguard REJECTS them, on both paths: RFC 8017 §9.2 Note 1 encodes the
// NULL, internal/pkcs1 compares EM with that one valid encoding and nothing
// else, and crypto/rsa (used by jws.Verify) does the same. The PSS, ECDSA
// P1363 and Ed25519 files have no acceptable vectors.
//
// Vectors are skipped only when jwtguard refuses their key or parameters by
// design; each skip names its reason and is counted in the per-file summary
// (go test -v):
//
//   - RSA moduli under 2,048 bits (RFC 7518 §3.3; jws.MinRSABits,
//     pkcs1.MinBits), and on the internal/pkcs1 path over 4,096 bits
//     (pkcs1.MaxBits: the 8,192-bit files);
//   - PSS groups whose hash is not SHA-256/384/512, whose mask generation
//     is not MGF1, whose MGF1 hash differs from the message hash, or whose
//     salt length is not the hash length: JWS PS256/384/512 are
//     RSASSA-PSS with MGF1 over the message hash and a salt as long as the
//     hash (RFC 7518 §3.5);
//   - PSS "invalid" vectors of those JWS groups whose only fault is their
//     salt length (the "s_len changed to …" vectors, 6 or 7 a file):
//     jws.Verify calls rsa.VerifyPSS with nil options, which recovers the
//     salt length from the signature and accepts any (as go-jose does), so
//     it ACCEPTS them. saltLengthOnly checks that this is their only fault
//     (rsa.VerifyPSS with PSSSaltLengthEqualsHash rejects them); any other
//     invalid vector jws.Verify accepts fails the test. Should jws.Verify
//     pin the salt length to the hash length, they become "invalid
//     rejected" with no change here.
var acceptableVerdicts = map[string]map[int]verdict{
	"rsa_signature_2048_sha256_test.json": {8: rejectMissingNull},
	"rsa_signature_2048_sha384_test.json": {8: rejectMissingNull},
	"rsa_signature_2048_sha512_test.json": {8: rejectMissingNull},
	"rsa_signature_3072_sha256_test.json": {8: rejectMissingNull},
	"rsa_signature_3072_sha384_test.json": {8: rejectMissingNull},
	"rsa_signature_3072_sha512_test.json": {8: rejectMissingNull},
	"rsa_signature_4096_sha256_test.json": {8: rejectMissingNull},
	"rsa_signature_4096_sha384_test.json": {8: rejectMissingNull},
	"rsa_signature_4096_sha512_test.json": {8: rejectMissingNull},
	"rsa_signature_8192_sha256_test.json": {8: rejectMissingNull},
	"rsa_signature_8192_sha384_test.json": {8: rejectMissingNull},
	"rsa_signature_8192_sha512_test.json": {8: rejectMissingNull},
}

// rejectMissingNull is the verdict on the MissingNull vectors.
var rejectMissingNull = verdict{accept: false, why: "MissingNull: a DigestInfo without the NULL parameters is not the one valid encoding (RFC 8017 §9.2 Note 1)"}

// verdict is jwtguard's documented answer to an "acceptable" vector.
type verdict struct {
	accept bool
	why    string
}

// hexBytes is a JSON hex string.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

type vectorFile struct {
	Algorithm  string  `json:"algorithm"`
	Schema     string  `json:"schema"`
	TestGroups []group `json:"testGroups"`
}

type group struct {
	Type         string          `json:"type"`
	KeySize      int             `json:"keySize"`
	Sha          string          `json:"sha"`
	Mgf          string          `json:"mgf"`
	MgfSha       string          `json:"mgfSha"`
	SLen         int             `json:"sLen"`
	PublicKey    json.RawMessage `json:"publicKey"`
	PublicKeyDer hexBytes        `json:"publicKeyDer"`
	Tests        []vector        `json:"tests"`
}

type vector struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Msg     hexBytes `json:"msg"`
	Sig     hexBytes `json:"sig"`
	Result  string   `json:"result"`
}

func load(t *testing.T, name string) (*vectorFile, bool) {
	t.Helper()
	data, err := fs.ReadFile(wycheproof.TestVectors, name)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("%s: not in this version of the vectors", name)
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &f, true
}

// tally counts the outcomes of one file on one verification path.
type tally struct {
	file, path string
	valid      int            // valid vectors accepted
	invalid    int            // invalid vectors rejected
	acceptable map[bool]int   // acceptable vectors by verdict
	skipped    map[string]int // skipped vectors by reason
}

func newTally(file, path string) *tally {
	return &tally{file: file, path: path, acceptable: map[bool]int{}, skipped: map[string]int{}}
}

func (tl *tally) skip(reason string, n int) { tl.skipped[reason] += n }

// check asserts the verdict got of vector v.
func (tl *tally) check(t *testing.T, v *vector, got bool) {
	t.Helper()
	id := fmt.Sprintf("%s %s tcId %d (%s %v)", tl.path, tl.file, v.TcID, v.Comment, v.Flags)
	switch v.Result {
	case "valid":
		if !got {
			t.Errorf("%s: valid vector rejected", id)
			return
		}
		tl.valid++
	case "invalid":
		if got {
			t.Errorf("%s: invalid vector accepted", id)
			return
		}
		tl.invalid++
	case "acceptable":
		want, ok := acceptableVerdicts[tl.file][v.TcID]
		if !ok {
			t.Errorf("%s: acceptable vector with no documented verdict (got accept = %v): add it to acceptableVerdicts", id, got)
			return
		}
		if got != want.accept {
			t.Errorf("%s: accept = %v, documented verdict is %v (%s)", id, got, want.accept, want.why)
			return
		}
		tl.acceptable[got]++
	default:
		t.Errorf("%s: unknown result %q", id, v.Result)
	}
}

func (tl *tally) log(t *testing.T) {
	t.Helper()
	var skips []string
	for _, r := range slices.Sorted(maps.Keys(tl.skipped)) {
		skips = append(skips, fmt.Sprintf("%d (%s)", tl.skipped[r], r))
	}
	skipped := "0 skipped"
	if len(skips) > 0 {
		skipped = "skipped " + strings.Join(skips, ", ")
	}
	t.Logf("%s %s: %d valid accepted, %d invalid rejected, %d acceptable (accepted %d, rejected %d), %s",
		tl.path, tl.file, tl.valid, tl.invalid, tl.acceptable[true]+tl.acceptable[false],
		tl.acceptable[true], tl.acceptable[false], skipped)
}

var hashByName = map[string]crypto.Hash{
	"SHA-256": crypto.SHA256,
	"SHA-384": crypto.SHA384,
	"SHA-512": crypto.SHA512,
}

func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(msg)
		return d[:]
	}
	panic("unsupported hash")
}

// rsaKey reads a group's publicKey {modulus, publicExponent}, which every
// RSA file has (the *_params_test.json files' DER keys carry RSASSA-PSS
// parameters that crypto/x509 does not parse, and a JWK never has).
func rsaKey(t *testing.T, raw json.RawMessage) *rsa.PublicKey {
	t.Helper()
	var k struct {
		Modulus        hexBytes `json:"modulus"`
		PublicExponent hexBytes `json:"publicExponent"`
	}
	if err := json.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	e := new(big.Int).SetBytes(k.PublicExponent)
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		t.Fatalf("public exponent %v out of range", e)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(k.Modulus), E: int(e.Int64())}
}

var rsaAlgs = map[crypto.Hash]jws.Alg{crypto.SHA256: jws.RS256, crypto.SHA384: jws.RS384, crypto.SHA512: jws.RS512}
var pssAlgs = map[crypto.Hash]jws.Alg{crypto.SHA256: jws.PS256, crypto.SHA384: jws.PS384, crypto.SHA512: jws.PS512}

// rsaSizes are the key sizes of the rsa_signature_* files run. 8,192 is
// beyond pkcs1.MaxBits: its keys are refused by internal/pkcs1 (and
// counted as skipped) but still run through jws.Verify.
var rsaSizes = []int{2048, 3072, 4096, 8192}

// TestWycheproofRSAPKCS1 runs the RSASSA-PKCS1-v1_5 vectors through
// internal/pkcs1 directly and through jws.Verify (RS256/384/512).
func TestWycheproofRSAPKCS1(t *testing.T) {
	for _, bits := range rsaSizes {
		for _, sha := range []int{256, 384, 512} {
			name := fmt.Sprintf("rsa_signature_%d_sha%d_test.json", bits, sha)
			t.Run(name, func(t *testing.T) {
				f, ok := load(t, name)
				if !ok {
					return
				}
				direct, public := newTally(name, "pkcs1"), newTally(name, "jws")
				for _, g := range f.TestGroups {
					h, ok := hashByName[g.Sha]
					if !ok {
						t.Fatalf("unexpected hash %s", g.Sha)
					}
					pub := rsaKey(t, g.PublicKey)
					pk, err := pkcs1.NewPublicKey(pub)
					if err != nil {
						direct.skip("pkcs1.NewPublicKey refuses the key: "+err.Error(), len(g.Tests))
					}
					key, jerr := jws.NewKey("", rsaAlgs[h], pub)
					if jerr != nil {
						public.skip("jws.NewKey refuses the key: "+jerr.Error(), len(g.Tests))
					}
					for i := range g.Tests {
						v := &g.Tests[i]
						if err == nil {
							direct.check(t, v, pk.VerifyPKCS1v15(h, digest(h, v.Msg), v.Sig))
						}
						if jerr == nil {
							public.check(t, v, jws.Verify(rsaAlgs[h], key, v.Msg, v.Sig))
						}
					}
				}
				direct.log(t)
				public.log(t)
			})
		}
	}
}

// TestWycheproofRSAPSS runs every rsa_pss_* file through jws.Verify
// (PS256/384/512); the groups whose parameters are not those of a JWS
// algorithm are skipped, by reason.
func TestWycheproofRSAPSS(t *testing.T) {
	names, err := fs.Glob(wycheproof.TestVectors, "rsa_pss_*_test.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no rsa_pss_* files: %v", err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, _ := load(t, name)
			tl := newTally(name, "jws")
			for _, g := range f.TestGroups {
				h, ok := hashByName[g.Sha]
				switch {
				case !ok:
					tl.skip(fmt.Sprintf("hash %s is not a JWS PSS hash", g.Sha), len(g.Tests))
					continue
				case g.Mgf != "MGF1":
					tl.skip(fmt.Sprintf("mask generation %s is not MGF1", g.Mgf), len(g.Tests))
					continue
				case g.MgfSha != g.Sha:
					tl.skip(fmt.Sprintf("MGF1 hash %s differs from the message hash", g.MgfSha), len(g.Tests))
					continue
				case g.SLen != h.Size():
					tl.skip(fmt.Sprintf("salt length %d is not the hash length", g.SLen), len(g.Tests))
					continue
				case g.KeySize < jws.MinRSABits:
					tl.skip("RSA key under 2048 bits", len(g.Tests))
					continue
				}
				alg := pssAlgs[h]
				pub := rsaKey(t, g.PublicKey)
				key, err := jws.NewKey("", alg, pub)
				if err != nil {
					tl.skip("jws.NewKey refuses the key: "+err.Error(), len(g.Tests))
					continue
				}
				for i := range g.Tests {
					v := &g.Tests[i]
					got := jws.Verify(alg, key, v.Msg, v.Sig)
					if v.Result == "invalid" && got && saltLengthOnly(pub, h, v) {
						tl.skip("invalid only for its salt length, which jws.Verify does not check", 1)
						continue
					}
					tl.check(t, v, got)
				}
			}
			tl.log(t)
		})
	}
}

// saltLengthOnly reports whether the only fault of PSS vector v is its salt
// length: rsa.VerifyPSS accepts it with any salt length (nil options, what
// jws.Verify uses) and rejects it with the salt length of RFC 7518 §3.5,
// the hash length.
func saltLengthOnly(pub *rsa.PublicKey, h crypto.Hash, v *vector) bool {
	d := digest(h, v.Msg)
	return rsa.VerifyPSS(pub, h, d, v.Sig, nil) == nil &&
		rsa.VerifyPSS(pub, h, d, v.Sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) != nil
}

// TestWycheproofECDSA runs the IEEE P1363 (r||s) ECDSA vectors of the
// three JWS curves through jws.Verify (ES256/384/512).
func TestWycheproofECDSA(t *testing.T) {
	files := []struct {
		name string
		alg  jws.Alg
	}{
		{"ecdsa_secp256r1_sha256_p1363_test.json", jws.ES256},
		{"ecdsa_secp384r1_sha384_p1363_test.json", jws.ES384},
		{"ecdsa_secp521r1_sha512_p1363_test.json", jws.ES512},
	}
	for _, file := range files {
		t.Run(file.name, func(t *testing.T) {
			f, ok := load(t, file.name)
			if !ok {
				return
			}
			tl := newTally(file.name, "jws")
			for _, g := range f.TestGroups {
				pub, err := x509.ParsePKIXPublicKey(g.PublicKeyDer)
				if err != nil {
					tl.skip("crypto/x509 does not parse the key: "+err.Error(), len(g.Tests))
					continue
				}
				if _, ok := pub.(*ecdsa.PublicKey); !ok {
					t.Fatalf("%T key in an ECDSA file", pub)
				}
				key, err := jws.NewKey("", file.alg, pub)
				if err != nil {
					tl.skip("jws.NewKey refuses the key: "+err.Error(), len(g.Tests))
					continue
				}
				for i := range g.Tests {
					v := &g.Tests[i]
					tl.check(t, v, jws.Verify(file.alg, key, v.Msg, v.Sig))
				}
			}
			tl.log(t)
		})
	}
}

// TestWycheproofEd25519 runs the Ed25519 vectors through jws.Verify
// (EdDSA).
func TestWycheproofEd25519(t *testing.T) {
	const name = "ed25519_test.json"
	f, ok := load(t, name)
	if !ok {
		return
	}
	tl := newTally(name, "jws")
	for _, g := range f.TestGroups {
		var pk struct {
			Pk hexBytes `json:"pk"`
		}
		if err := json.Unmarshal(g.PublicKey, &pk); err != nil {
			t.Fatal(err)
		}
		key, err := jws.NewKey("", jws.EdDSA, ed25519.PublicKey(pk.Pk))
		if err != nil {
			tl.skip("jws.NewKey refuses the key: "+err.Error(), len(g.Tests))
			continue
		}
		for i := range g.Tests {
			v := &g.Tests[i]
			tl.check(t, v, jws.Verify(jws.EdDSA, key, v.Msg, v.Sig))
		}
	}
	tl.log(t)
}
