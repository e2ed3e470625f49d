package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
)

// Verify checks a JWS signature (RFC 7515 §5.2) over the signing input with
// k, which must fit alg (Key.Fits). The signature encodings are those of
// RFC 7518 §3 and RFC 8037 §3.1: PKCS #1 v1.5 for RS* (with the key's
// modulus prepared once, internal/pkcs1), PSS with a salt as long as the
// hash for PS*; a fixed-length r||s on the key's own curve for ES*; Ed25519 for
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
			// RFC 7518 §3.5: MGF1 with the same hash, and a salt as long
			// as the hash output — not any salt length.
			return rsa.VerifyPSS(p, info.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		if k.rsa == nil {
			return false // every RSA Key is made by NewKey, which prepares it
		}
		return k.rsa.VerifyPKCS1v15(info.hash, digest, sig)
	case KeyEC:
		p, ok := k.Pub.(*ecdsa.PublicKey)
		if !ok || len(sig) != 2*info.size {
			return false
		}
		// The fixed-length r||s form (RFC 7518 §3.4) re-encoded as the
		// DER the standard library verifies, on the stack. The
		// verification rejects r or s outside [1, N-1], so r = s = 0
		// (CVE-2022-21449) fails.
		var buf [2*(2+1+66) + 3]byte
		der := appendSig(buf[:0], sig[:info.size], sig[info.size:])
		return ecdsa.VerifyASN1(p, digest, der)
	}
	return false
}

// appendSig appends the DER SEQUENCE of INTEGERs r and s (big-endian,
// unsigned) to dst.
func appendSig(dst, r, s []byte) []byte {
	r, s = trimZeros(r), trimZeros(s)
	n := intLen(r) + intLen(s)
	dst = append(dst, 0x30)
	if n >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(n))
	dst = appendInt(dst, r)
	return appendInt(dst, s)
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// intLen is the DER length of INTEGER b: tag, length, a 0x00 pad when the
// high bit is set (or b is zero), and b.
func intLen(b []byte) int {
	if len(b) == 0 || b[0]&0x80 != 0 {
		return 3 + len(b)
	}
	return 2 + len(b)
}

func appendInt(dst, b []byte) []byte {
	dst = append(dst, 0x02)
	if len(b) == 0 || b[0]&0x80 != 0 {
		dst = append(dst, byte(len(b)+1), 0)
	} else {
		dst = append(dst, byte(len(b)))
	}
	return append(dst, b...)
}
