package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const MinRSABits = 2048

// MaxKeysPerSet bounds how many keys of one JWK Set are kept.
const MaxKeysPerSet = 256

// Key is one usable public key of an issuer.
type Key struct {
	// Kid is the key's kid, "" when it has none.
	Kid string
	// Alg is the JWK's alg, or AlgInvalid when it named none (then any
	// algorithm of the key's type fits).
	Alg Alg
	// Pub is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Pub any
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
	ignored int
}

// Len is the number of usable keys.
func (s *KeySet) Len() int { return len(s.all) }

// Ignored is the number of keys in the document that were not usable.
func (s *KeySet) Ignored() int { return s.ignored }

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

// Match returns the keys a token with kid and alg may be verified with, in
// document order: every key under kid that fits alg, or with an empty kid
// the one key that fits alg when exactly one does. Do not modify it.
func (s *KeySet) Match(kid string, alg Alg) []*Key {
	if k := s.Find(kid, alg); k != nil {
		return []*Key{k}
	}
	return nil
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
		if p.N.BitLen() < MinRSABits {
			return nil, errors.New("RSA key under 2048 bits")
		}
	case *ecdsa.PublicKey:
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

// ParseJWKS parses a JWK Set (RFC 7517 §5). Keys that cannot be used are
// skipped without losing the rest. A set with no usable key is an error.
func ParseJWKS(data []byte) (*KeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not valid JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`JWKS has no "keys" array`)
	}
	ks := &KeySet{byKid: make(map[string][]*Key)}
	for _, raw := range doc.Keys {
		if len(ks.all) >= MaxKeysPerSet {
			ks.ignored++
			continue
		}
		k, ok := parseJWK(raw)
		if !ok {
			ks.ignored++
			continue
		}
		ks.all = append(ks.all, k)
		if k.Kid != "" {
			ks.byKid[k.Kid] = append(ks.byKid[k.Kid], k)
		}
	}
	if len(ks.all) == 0 {
		return nil, ErrNoUsableKeys
	}
	return ks, nil
}

func parseJWK(raw json.RawMessage) (k *Key, ok bool) {
	var meta struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &meta) != nil {
		return nil, false
	}
	if meta.Use != "" && meta.Use != "sig" {
		return nil, false
	}
	if meta.Kty != "RSA" && meta.Kty != "EC" && meta.Kty != "OKP" {
		return nil, false
	}
	alg := AlgInvalid
	if meta.Alg != "" {
		if alg = ParseAlg(meta.Alg); alg == AlgInvalid {
			return nil, false
		}
	}
	var jwk jose.JSONWebKey
	if jwk.UnmarshalJSON(raw) != nil || !jwk.Valid() {
		return nil, false
	}
	if !jwk.IsPublic() {
		jwk = jwk.Public()
		if !jwk.Valid() {
			return nil, false
		}
	}
	vk := &Key{Kid: jwk.KeyID, Alg: alg}
	switch p := jwk.Key.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < MinRSABits {
			return nil, false
		}
		vk.Pub = p
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, false
		}
		vk.Pub = p
	case ed25519.PublicKey:
		vk.Pub = p
	default:
		return nil, false
	}
	if alg != AlgInvalid && !vk.fitsType(alg) {
		return nil, false
	}
	return vk, true
}
