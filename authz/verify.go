package authz

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
)

// verifySignature checks a JWS signature (RFC 7515 §5.2) over the signing
// input with the standard library's primitives, following the algorithm
// definitions of RFC 7518 §3 and RFC 8037 §3.1 exactly as go-jose does:
// PKCS #1 v1.5 and PSS (salt length as signed) for RS*/PS*; for ES*, a
// fixed-length r||s signature on the key's own curve; Ed25519 for EdDSA.
//
// It is called with a key that fits alg (verifyKey.fits). It does the work
// of go-jose's JSONWebSignature.Verify without re-parsing the header and
// re-encoding the signing input, which cost more than half again as much
// as the RSA verification itself (see docs/benchmarks.md); the tests check
// it against go-jose on every algorithm.
func verifySignature(alg string, pub any, input []byte, sig []byte) bool {
	var (
		h      crypto.Hash
		digest []byte
	)
	switch alg {
	case "RS256", "PS256", "ES256":
		h = crypto.SHA256
		d := sha256.Sum256(input)
		digest = d[:]
	case "RS384", "PS384", "ES384":
		h = crypto.SHA384
		d := sha512.Sum384(input)
		digest = d[:]
	case "RS512", "PS512", "ES512":
		h = crypto.SHA512
		d := sha512.Sum512(input)
		digest = d[:]
	case "EdDSA":
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(k, input, sig)
	default:
		return false
	}
	switch alg[0] {
	case 'R':
		k, ok := pub.(*rsa.PublicKey)
		return ok && rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
	case 'P':
		k, ok := pub.(*rsa.PublicKey)
		return ok && rsa.VerifyPSS(k, h, digest, sig, nil) == nil
	case 'E':
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return false
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		// ecdsa.Verify rejects r or s outside [1, N-1], so r = s = 0
		// (CVE-2022-21449) fails.
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, digest, r, s)
	}
	return false
}
