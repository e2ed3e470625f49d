package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"github.com/jwtguard/jwtguard/internal/pkcs1"
	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const MinRSABits = 2048

// MaxRSABits is the largest RSA modulus accepted: bigger keys cost a
// verifier more than they protect, and no IdP publishes them.
const MaxRSABits = 4096

// MaxKeysPerSet bounds how many keys of one JWK Set are kept.
const MaxKeysPerSet = 256

// MaxKeysPerKid bounds how many keys sharing one kid are kept (and tried).
const MaxKeysPerKid = 4

// Key is one usable public key of an issuer.
type Key struct {
	// Kid is the key's kid, "" when it has none.
	Kid string
	// Alg is the JWK's alg, or AlgInvalid when it named none (then any
	// algorithm of the key's type fits).
	Alg Alg
	// Pub is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Pub any

	hasKid bool             // the JWK had a kid member, possibly ""
	rsa    *pkcs1.PublicKey // RSA keys: the modulus prepared once, for RS*
}

// Fits reports whether the key may verify a token signed with alg: the key
// type (and EC curve) is alg's, and the key's own alg, if any, is alg.
func (k *Key) Fits(alg Alg) bool {
	if !alg.Valid() || (k.Alg != AlgInvalid && k.Alg != alg) {
		return false
	}
	return k.fitsType(alg)
}

func (k *Key) fitsType(alg Alg) bool {
	info := &algs[alg]
	switch p := k.Pub.(type) {
	case *rsa.PublicKey:
		return info.kty == KeyRSA
	case *ecdsa.PublicKey:
		return info.kty == KeyEC && p.Curve == info.curve()
	case ed25519.PublicKey:
		return info.kty == KeyOKP
	}
	return false
}

// KeySet is an immutable, parsed JWK Set: the hot path reads it without
// locks.
type KeySet struct {
	byKid   map[string][]*Key
	all     []*Key
	noKid   [numAlgs][]*Key // per alg: the one key that fits, for tokens without kid
	ignored int
	private int
}

// Len is the number of usable keys.
func (s *KeySet) Len() int { return len(s.all) }

// Ignored is the number of keys in the document that were not usable.
func (s *KeySet) Ignored() int { return s.ignored }

// Private is how many of the ignored keys carried private members: a JWK
// Set that publishes private keys is broken, and those keys are never used,
// not even their public half.
func (s *KeySet) Private() int { return s.private }

// Keys returns the usable keys in document order. Do not modify it.
func (s *KeySet) Keys() []*Key { return s.all }

// HasKid reports whether some usable key has the kid.
func (s *KeySet) HasKid(kid string) bool {
	_, ok := s.byKid[kid]
	return ok
}

// Find returns the key to verify a token with kid and alg, or nil. With an
// empty kid, a key is chosen only when exactly one fits alg.
func (s *KeySet) Find(kid string, alg Alg) *Key {
	if kid == "" {
		var found *Key
		for _, k := range s.all {
			if k.Fits(alg) {
				if found != nil {
					return nil // ambiguous
				}
				found = k
			}
		}
		return found
	}
	for _, k := range s.byKid[kid] {
		if k.Fits(alg) {
			return k
		}
	}
	return nil
}

// Match returns the keys a token may be verified with, in document order:
// with a kid, every key under that kid (at most MaxKeysPerKid; the caller
// skips those that do not Fit alg); without one, the one key that fits alg
// when exactly one does. Do not modify it.
func (s *KeySet) Match(kid string, hasKid bool, alg Alg) []*Key {
	if !hasKid {
		if !alg.Valid() {
			return nil
		}
		return s.noKid[alg]
	}
	return s.byKid[kid]
}

// Has reports whether Match finds a key that fits alg.
func (s *KeySet) Has(kid string, hasKid bool, alg Alg) bool {
	for _, k := range s.Match(kid, hasKid, alg) {
		if k.Fits(alg) {
			return true
		}
	}
	return false
}

// NewKey returns a verification key for pub (*rsa.PublicKey,
// *ecdsa.PublicKey on P-256/384/521, or ed25519.PublicKey), restricted to
// alg unless alg is AlgInvalid. It refuses keys jwtguard never verifies
// with: RSA under MinRSABits, other curves, a key whose type does not fit
// alg.
func NewKey(kid string, alg Alg, pub any) (*Key, error) {
	k := &Key{Kid: kid, Alg: alg}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return nil, errors.New("nil key")
		}
		if bits := p.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return nil, errors.New("RSA key not between 2048 and 4096 bits")
		}
		prepared, err := pkcs1.NewPublicKey(p)
		if err != nil {
			return nil, err
		}
		k.rsa = prepared
	case *ecdsa.PublicKey:
		if p == nil {
			return nil, errors.New("nil key")
		}
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, errors.New("unsupported curve")
		}
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key size")
		}
	default:
		return nil, fmt.Errorf("unsupported key type %T", pub)
	}
	k.Pub = pub
	if alg != AlgInvalid && !k.fitsType(alg) {
		return nil, errors.New("key type does not fit alg")
	}
	return k, nil
}

// ErrNoUsableKeys is returned when a JWK Set holds no key jwtguard can use.
var ErrNoUsableKeys = errors.New("JWKS holds no usable signing key")

// ParseJWKS parses a JWK Set (RFC 7517 §5) strictly: one JSON object with
// exact member names, no duplicate names and valid UTF-8 anywhere, and a
// "keys" array. A key that cannot be used is skipped and counted, without
// losing the rest (RFC 7517 §5: "implementations SHOULD ignore JWKs
// within a JWK Set that use kty values that are not understood"). A key is
// skipped when:
//
//   - it is not an object, or a member it has is of the wrong type;
//   - kty is not RSA, EC or OKP (oct keys are never used);
//   - use is present and not "sig", or key_ops is present without "verify"
//     (RFC 7517 §4.2–4.3);
//   - alg is present and not one of the table's asymmetric algorithms, or
//     does not fit the key's type and curve;
//   - it carries private members (d, p, q, dp, dq, qi, oth, k);
//   - RSA: n under 2048 or over 4096 bits, n or e with leading zero
//     octets (RFC 7518 §6.3.1), e even, under 3 or over 2^31−1;
//   - EC: crv not P-256/384/521, x or y not exactly the field size (RFC
//     7518 §6.2.1.2), or the point not on the curve;
//   - OKP: crv not Ed25519 or x not 32 bytes;
//   - MaxKeysPerSet keys are kept already, or MaxKeysPerKid under its kid.
//
// A set with no usable key is an error.
func ParseJWKS(data []byte) (*KeySet, error) {
	if err := strictjson.Valid(data); err != nil {
		return nil, fmt.Errorf("JWKS is not strict JSON: %w", err)
	}
	keys, ok := strictjson.Lookup(data, "keys")
	if strictjson.Kind(data) != '{' || !ok || strictjson.Kind(keys) != '[' {
		return nil, errors.New(`JWKS is not an object with a "keys" array`)
	}
	it, err := strictjson.Array(keys)
	if err != nil {
		return nil, errors.New(`JWKS "keys" is not an array`)
	}
	ks := &KeySet{byKid: make(map[string][]*Key)}
	for {
		raw, ok := it.Next()
		if !ok {
			break
		}
		if len(ks.all) >= MaxKeysPerSet {
			ks.ignored++
			continue
		}
		k, private := parseJWK(raw)
		if k == nil || (k.hasKid && len(ks.byKid[k.Kid]) >= MaxKeysPerKid) {
			ks.ignored++
			if private {
				ks.private++
			}
			continue
		}
		ks.all = append(ks.all, k)
		if k.hasKid {
			ks.byKid[k.Kid] = append(ks.byKid[k.Kid], k)
		}
	}
	if it.Err() != nil {
		return nil, errors.New(`JWKS "keys" is not an array`)
	}
	if len(ks.all) == 0 {
		return nil, ErrNoUsableKeys
	}
	for a := Alg(1); a < numAlgs; a++ {
		var found *Key
		n := 0
		for _, k := range ks.all {
			if k.Fits(a) {
				found = k
				n++
			}
		}
		if n == 1 {
			ks.noKid[a] = []*Key{found}
		}
	}
	return ks, nil
}

// jwk holds the members of one JWK that jwtguard reads.
type jwk struct {
	kty, use, alg, kid, crv string
	n, e, x, y              []byte // base64url-decoded
	hasKid, hasOps          bool
	verifyOp                bool
	private                 bool
}

var b64 = base64.RawURLEncoding.Strict()

// parseJWK returns the usable key raw describes, or nil; private reports a
// key skipped for carrying private members.
func parseJWK(raw []byte) (k *Key, private bool) {
	var j jwk
	it, err := strictjson.Object(raw)
	if err != nil {
		return nil, false
	}
	str := func(v []byte, dst *string) bool {
		s, ok := stringValue(v)
		*dst = s
		return ok
	}
	bin := func(v []byte, dst *[]byte) bool {
		s, ok := stringValue(v)
		if !ok || s == "" {
			return false
		}
		b, err := b64.DecodeString(s)
		*dst = b
		return err == nil
	}
	good := true
	for good {
		name, v, ok := it.Next()
		if !ok {
			break
		}
		switch string(name) {
		case "kty":
			good = str(v, &j.kty)
		case "use":
			good = str(v, &j.use)
		case "alg":
			good = str(v, &j.alg)
		case "kid":
			good = str(v, &j.kid) && len(j.kid) <= MaxKidLen
			j.hasKid = true
		case "crv":
			good = str(v, &j.crv)
		case "n":
			good = bin(v, &j.n)
		case "e":
			good = bin(v, &j.e)
		case "x":
			good = bin(v, &j.x)
		case "y":
			good = bin(v, &j.y)
		case "key_ops":
			j.hasOps = true
			good = j.readOps(v)
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			j.private = true
		}
	}
	if !good || it.Err() != nil {
		return nil, j.private
	}
	if j.private {
		return nil, true
	}
	if (j.use != "" && j.use != "sig") || (j.hasOps && !j.verifyOp) {
		return nil, false
	}
	alg := AlgInvalid
	if j.alg != "" {
		if alg = ParseAlg(j.alg); alg == AlgInvalid {
			return nil, false
		}
	}
	var pub any
	switch j.kty {
	case "RSA":
		if p := j.rsaKey(); p != nil {
			pub = p
		}
	case "EC":
		if p := j.ecKey(); p != nil {
			pub = p
		}
	case "OKP":
		if j.crv == "Ed25519" && len(j.x) == ed25519.PublicKeySize {
			pub = ed25519.PublicKey(j.x)
		}
	}
	if pub == nil {
		return nil, false
	}
	key, err := NewKey(j.kid, alg, pub)
	if err != nil {
		return nil, false
	}
	key.hasKid = j.hasKid
	return key, false
}

// readOps reads key_ops: an array of distinct strings (RFC 7517 §4.3).
func (j *jwk) readOps(v []byte) bool {
	it, err := strictjson.Array(v)
	if err != nil {
		return false
	}
	var seen [8]string
	n := 0
	for {
		e, ok := it.Next()
		if !ok {
			break
		}
		s, ok := stringValue(e)
		if !ok {
			return false
		}
		for _, p := range seen[:min(n, len(seen))] {
			if p == s {
				return false // duplicate operation
			}
		}
		if n < len(seen) {
			seen[n] = s
		}
		n++
		if s == "verify" {
			j.verifyOp = true
		}
	}
	return it.Err() == nil
}

func (j *jwk) rsaKey() *rsa.PublicKey {
	if len(j.n) == 0 || len(j.e) == 0 || j.n[0] == 0 || j.e[0] == 0 || len(j.e) > 4 {
		return nil
	}
	var e uint64
	for _, b := range j.e {
		e = e<<8 | uint64(b)
	}
	if e < 3 || e%2 == 0 || e > 1<<31-1 {
		return nil
	}
	n := new(big.Int).SetBytes(j.n)
	if bits := n.BitLen(); bits < MinRSABits || bits > MaxRSABits || n.Bit(0) == 0 {
		return nil
	}
	return &rsa.PublicKey{N: n, E: int(e)}
}

func (j *jwk) ecKey() *ecdsa.PublicKey {
	var curve elliptic.Curve
	var size int
	switch j.crv {
	case "P-256":
		curve, size = elliptic.P256(), 32
	case "P-384":
		curve, size = elliptic.P384(), 48
	case "P-521":
		curve, size = elliptic.P521(), 66
	default:
		return nil
	}
	if len(j.x) != size || len(j.y) != size {
		return nil
	}
	point := make([]byte, 1+2*size)
	point[0] = 4
	copy(point[1:], j.x)
	copy(point[1+size:], j.y)
	p, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil
	}
	return p
}
