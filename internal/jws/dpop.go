package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strconv"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// ErrProofKey is a DPoP proof whose jwk is missing, not a public
// asymmetric key jwtguard verifies with, or carries private members.
var ErrProofKey = errors.New("DPoP proof jwk is not a usable public key")

// ParseProofHeader decodes the JOSE header of a DPoP proof (RFC 9449 §4.2)
// strictly, like ParseHeader, and also returns the public key its jwk
// member holds. The key must be a public RSA, EC or OKP key that fits alg;
// one with private members is refused (§4.3 check 7).
func ParseProofHeader(b []byte) (Header, *Key, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return h, nil, err
	}
	raw, ok := strictjson.Lookup(b, "jwk")
	if !ok || strictjson.Kind(raw) != '{' {
		return h, nil, ErrProofKey
	}
	k, private := parseJWK(raw)
	if k == nil || private || !k.Fits(h.Alg) {
		return h, nil, ErrProofKey
	}
	return h, k, nil
}

// Thumbprint returns the key's JWK SHA-256 thumbprint (RFC 7638),
// base64url-encoded: the hash of the required members in lexicographic
// order, without white space. It is what cnf.jkt holds (RFC 9449 §6.1).
func (k *Key) Thumbprint() string {
	enc := base64.RawURLEncoding.EncodeToString
	var b []byte
	switch p := k.Pub.(type) {
	case *rsa.PublicKey:
		b = append(b, `{"e":"`...)
		b = append(b, enc(big.NewInt(int64(p.E)).Bytes())...)
		b = append(b, `","kty":"RSA","n":"`...)
		b = append(b, enc(p.N.Bytes())...)
		b = append(b, `"}`...)
	case *ecdsa.PublicKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		pt, err := p.Bytes()
		if err != nil {
			return ""
		}
		b = append(b, `{"crv":`...)
		b = strconv.AppendQuote(b, p.Curve.Params().Name)
		b = append(b, `,"kty":"EC","x":"`...)
		b = append(b, enc(pt[1:1+size])...)
		b = append(b, `","y":"`...)
		b = append(b, enc(pt[1+size:])...)
		b = append(b, `"}`...)
	case ed25519.PublicKey:
		b = append(b, `{"crv":"Ed25519","kty":"OKP","x":"`...)
		b = append(b, enc(p)...)
		b = append(b, `"}`...)
	default:
		return ""
	}
	sum := sha256.Sum256(b)
	return enc(sum[:])
}
