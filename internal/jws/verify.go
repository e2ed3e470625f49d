package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
)

// Verify checks a JWS signature (RFC 7515 §5.2) over the signing input with
// k, which must fit alg (Key.Fits). The signature encodings are those of
// RFC 7518 §3 and RFC 8037 §3.1: PKCS #1 v1.5 and PSS (any salt length) for
// RS*/PS*; a fixed-length r||s on the key's own curve for ES*; Ed25519 for
// EdDSA.
func Verify(alg Alg, k *Key, input, sig []byte) bool {
	if k == nil || !k.Fits(alg) {
		return false
	}
	info := &algs[alg]
	if alg == EdDSA {
		p, ok := k.Pub.(ed25519.PublicKey)
		return ok && len(p) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(p, input, sig)
	}
	var digest []byte
	switch info.hash.Size() {
	case 32:
		d := sha256.Sum256(input)
		digest = d[:]
	case 48:
		d := sha512.Sum384(input)
		digest = d[:]
	case 64:
		d := sha512.Sum512(input)
		digest = d[:]
	default:
		return false
	}
	switch info.kty {
	case KeyRSA:
		p, ok := k.Pub.(*rsa.PublicKey)
		if !ok {
			return false
		}
		if info.pss {
			return rsa.VerifyPSS(p, info.hash, digest, sig, nil) == nil
		}
		return rsa.VerifyPKCS1v15(p, info.hash, digest, sig) == nil
	case KeyEC:
		p, ok := k.Pub.(*ecdsa.PublicKey)
		if !ok || len(sig) != 2*info.size {
			return false
		}
		// ecdsa.Verify rejects r or s outside [1, N-1], so r = s = 0
		// (CVE-2022-21449) fails.
		r := new(big.Int).SetBytes(sig[:info.size])
		s := new(big.Int).SetBytes(sig[info.size:])
		return ecdsa.Verify(p, digest, r, s)
	}
	return false
}
