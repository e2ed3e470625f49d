package pkcs1

import (
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"math/bits"
	"sync"

	"filippo.io/bigmod"
)

// Key size bounds, in bits of the modulus N.
const (
	// MinBits is the smallest modulus accepted (RFC 7518 §3.3 requires
	// 2,048 bits for RS256/384/512).
	MinBits = 2048
	// MaxBits is the largest modulus accepted. Verification time grows with
	// the square of the key size (an 8,192-bit key costs about four times
	// a 4,096-bit one), and 4,096 bits is the largest size in common use
	// for signing JWTs: the bound caps the work one token can cause and
	// keeps the per-verification buffers on the stack.
	MaxBits = 4096
	// maxSize is MaxBits in bytes: the largest signature and encoded
	// message, sized for stack buffers.
	maxSize = MaxBits / 8
	// maxE is the largest public exponent accepted, 2³¹−1, as in
	// crypto/rsa.
	maxE = 1<<31 - 1
)

// digestInfoPrefix is the DER encoding of the DigestInfo of RFC 8017
// §9.2, Note 1, up to (not including) the digest itself: SEQUENCE {
// AlgorithmIdentifier { OID, NULL }, OCTET STRING (of the digest length) }.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// hashIndex maps the supported hashes to their slot in PublicKey.prefix.
func hashIndex(h crypto.Hash) int {
	switch h {
	case crypto.SHA256:
		return 0
	case crypto.SHA384:
		return 1
	case crypto.SHA512:
		return 2
	}
	return -1
}

var supportedHashes = [...]crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}

// PublicKey is an RSA public key with its modulus prepared once for fast
// verification. It is immutable and safe for concurrent use.
type PublicKey struct {
	n    *bigmod.Modulus
	e    uint
	size int // bytes of N: the length of every signature and of EM
	pub  *rsa.PublicKey

	// prefix[i] is the valid encoding EM' for supportedHashes[i] without
	// its final digest: 0x00 0x01 0xFF…0xFF 0x00 || DigestInfo prefix.
	prefix [len(supportedHashes)][]byte
}

// NewPublicKey prepares pub for verification: it computes the Montgomery
// constants of N, and the valid encodings' fixed part for each hash, once.
// Call it once per key, when the key is loaded, and share the result.
//
// It refuses moduli under MinBits (2,048) or over MaxBits (4,096) bits,
// even moduli, and public exponents that are even, under 3 or over 2³¹−1.
// Apart from the size bounds these are keys crypto/rsa refuses to verify
// with too. pub must not be modified afterwards.
func NewPublicKey(pub *rsa.PublicKey) (*PublicKey, error) {
	if pub == nil || pub.N == nil {
		return nil, errors.New("pkcs1: missing RSA public key")
	}
	switch bl := pub.N.BitLen(); {
	case bl < MinBits:
		return nil, errors.New("pkcs1: RSA modulus under 2048 bits")
	case bl > MaxBits:
		return nil, errors.New("pkcs1: RSA modulus over 4096 bits")
	}
	if pub.N.Bit(0) == 0 {
		return nil, errors.New("pkcs1: RSA modulus is even")
	}
	if pub.E < 3 || pub.E > maxE || pub.E&1 == 0 {
		return nil, errors.New("pkcs1: RSA public exponent is not odd and in [3, 2^31-1]")
	}
	n, err := bigmod.NewModulus(pub.N.Bytes())
	if err != nil {
		return nil, errors.New("pkcs1: " + err.Error())
	}
	k := &PublicKey{n: n, e: uint(pub.E), size: n.Size(), pub: pub}
	for i, h := range supportedHashes {
		di := digestInfoPrefix[h]
		// RFC 8017 §9.2 step 5: PS is k − tLen − 3 bytes of 0xFF, where
		// tLen = len(DigestInfo) + hLen. It is at least 8 bytes; with
		// k ≥ 256 it always is.
		ps := k.size - len(di) - h.Size() - 3
		p := make([]byte, 0, k.size-h.Size())
		p = append(p, 0x00, 0x01)
		for range ps {
			p = append(p, 0xff)
		}
		p = append(p, 0x00)
		p = append(p, di...)
		k.prefix[i] = p
	}
	return k, nil
}

// Public returns the key NewPublicKey was given.
func (k *PublicKey) Public() *rsa.PublicKey { return k.pub }

// Size is the length in bytes of the modulus, and of every valid signature.
func (k *PublicKey) Size() int { return k.size }

// nats is a pool of scratch numbers: for moduli over 2,048 bits a Nat
// grows its limbs on the heap, and reusing them saves those allocations.
// A Nat from the pool is used by one goroutine at a time.
var nats = sync.Pool{New: func() any { return bigmod.NewNat() }}

// VerifyPKCS1v15 reports whether sig is a valid RSASSA-PKCS1-v1_5 signature
// (RFC 8017 §8.2.2) of the digest hashed, computed with hash, which must be
// crypto.SHA256, SHA384 or SHA512.
//
// The signature must be exactly as long as the modulus and, read as a
// big-endian number s, less than N. EM = s^e mod N is then compared as a
// whole, in constant time, with the one valid encoding of hashed: no part
// of EM is parsed (see the package documentation for why).
//
// It is safe for concurrent use. With a 2,048-bit key it does not
// allocate; with larger keys bigmod allocates scratch space in each
// Montgomery multiplication (about 40 allocations with e = 65537).
func (k *PublicKey) VerifyPKCS1v15(hash crypto.Hash, hashed, sig []byte) bool {
	// RFC 8017 §8.2.2 step 1: the signature is exactly k bytes long.
	i := hashIndex(hash)
	if i < 0 || len(hashed) != hash.Size() || len(sig) != k.size {
		return false
	}

	// Step 2a and b: s = OS2IP(S), refused unless s < N (RSAVP1, §5.2.2
	// step 1); m = s^e mod N. e is public, so the
	// variable-time exponentiation leaks nothing secret.
	s := nats.Get().(*bigmod.Nat)
	defer nats.Put(s)
	if _, err := s.SetBytes(sig, k.n); err != nil {
		return false
	}
	m := nats.Get().(*bigmod.Nat)
	defer nats.Put(m)
	m.ExpShortVarTime(s, k.e, k.n)

	// Step 2c: EM = I2OSP(m, k).
	var emBuf, wantBuf [maxSize]byte
	em := emBuf[:k.size]
	putBigEndian(em, m.Bits())

	// Steps 3 and 4: EM' = EMSA-PKCS1-v1_5-ENCODE(M, k), and compare.
	want := append(append(wantBuf[:0], k.prefix[i]...), hashed...)
	return subtle.ConstantTimeCompare(em, want) == 1
}

// putBigEndian writes the little-endian limbs x into dst as a zero-extended
// big-endian number: bigmod's Nat.Bytes without its allocation. Limb bytes
// beyond dst are dropped: they are zero, since x < N and dst has N's size.
func putBigEndian(dst []byte, x []uint) {
	i := len(dst)
	for _, limb := range x {
		for range bits.UintSize / 8 {
			if i == 0 {
				return
			}
			i--
			dst[i] = byte(limb)
			limb >>= 8
		}
	}
	clear(dst[:i])
}
