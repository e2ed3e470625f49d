package authz

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const minRSABits = 2048

// maxKeysPerSet bounds how many keys of one JWKS are kept.
const maxKeysPerSet = 256

// verifyKey is one usable public key of an issuer.
type verifyKey struct {
	kid string
	alg string // the JWK's alg, or "" when it named none
	pub any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// fits reports whether the key may verify a token signed with alg.
func (k *verifyKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch p := k.pub.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return p.Curve == elliptic.P256()
		case "ES384":
			return p.Curve == elliptic.P384()
		case "ES512":
			return p.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// keySet is an immutable snapshot of one issuer's parsed keys. The hot path
// loads it through an atomic pointer and reads it without locks.
type keySet struct {
	byKid     map[string][]*verifyKey
	all       []*verifyKey
	ignored   int // keys in the document that were not usable
	raw       []byte
	fetchedAt time.Time
	expiresAt time.Time // fresh until
	refreshAt time.Time // background refresh due
}

// find returns the key to verify a token with kid and alg, or nil. With an
// empty kid, a key is chosen only when exactly one fits alg.
func (s *keySet) find(kid, alg string) *verifyKey {
	if kid == "" {
		var found *verifyKey
		for _, k := range s.all {
			if k.fits(alg) {
				if found != nil {
					return nil // ambiguous
				}
				found = k
			}
		}
		return found
	}
	for _, k := range s.byKid[kid] {
		if k.fits(alg) {
			return k
		}
	}
	return nil
}

func (s *keySet) hasKid(kid string) bool {
	_, ok := s.byKid[kid]
	return ok
}

// errNoUsableKeys is returned when a JWKS holds no key jwtguard can use.
var errNoUsableKeys = errors.New("JWKS holds no usable signing key")

// parseJWKS parses a JWK Set (RFC 7517 §5). Keys that cannot be used are
// skipped without losing the rest: unparsable keys, symmetric keys, keys
// whose use is not "sig", whose alg is not an allowed asymmetric algorithm
// or does not fit the key type, and RSA keys under 2048 bits. A set with no
// usable key is an error.
func parseJWKS(data []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not valid JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`JWKS has no "keys" array`)
	}
	ks := &keySet{byKid: make(map[string][]*verifyKey), raw: data}
	for _, raw := range doc.Keys {
		if len(ks.all) >= maxKeysPerSet {
			ks.ignored++
			continue
		}
		k, ok := parseJWK(raw)
		if !ok {
			ks.ignored++
			continue
		}
		ks.all = append(ks.all, k)
		if k.kid != "" {
			ks.byKid[k.kid] = append(ks.byKid[k.kid], k)
		}
	}
	if len(ks.all) == 0 {
		return nil, errNoUsableKeys
	}
	return ks, nil
}

func parseJWK(raw json.RawMessage) (k *verifyKey, ok bool) {
	// Cheap look at the fields go-jose does not police for us.
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
		return nil, false // includes "oct": symmetric keys are never used
	}
	if meta.Alg != "" && !supportedAlg(meta.Alg) {
		return nil, false
	}
	var jwk jose.JSONWebKey
	if jwk.UnmarshalJSON(raw) != nil || !jwk.Valid() {
		return nil, false
	}
	if !jwk.IsPublic() {
		jwk = jwk.Public() // a published private key still only verifies
		if !jwk.Valid() {
			return nil, false
		}
	}
	vk := &verifyKey{kid: jwk.KeyID, alg: meta.Alg}
	switch p := jwk.Key.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < minRSABits {
			return nil, false
		}
		vk.pub = p
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, false
		}
		vk.pub = p
	case ed25519.PublicKey:
		vk.pub = p
	default:
		return nil, false
	}
	if meta.Alg != "" && !vk.fitsType(meta.Alg) {
		return nil, false
	}
	return vk, true
}

// fitsType checks the key type against alg, ignoring the key's own alg.
func (k *verifyKey) fitsType(alg string) bool {
	saved := k.alg
	k.alg = ""
	ok := k.fits(alg)
	k.alg = saved
	return ok
}
