package pkcs1

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"
	"sync"
	"testing"
)

// testKey is a private key and its prepared public key.
type testKey struct {
	name string
	priv *rsa.PrivateKey
	pub  *PublicKey
}

// The test keys: RSA-2048, 3072 and 4096, each with e = 65537 and e = 3.
// Generating them takes seconds, so it is done once per test binary.
var testKeys = sync.OnceValue(func() []*testKey {
	var keys []*testKey
	for _, bits := range []int{2048, 3072, 4096} {
		for _, e := range []int{65537, 3} {
			priv, err := generateKey(bits, e)
			if err != nil {
				panic(err)
			}
			pub, err := NewPublicKey(&priv.PublicKey)
			if err != nil {
				panic(err)
			}
			keys = append(keys, &testKey{name: fmt.Sprintf("%d/e=%d", bits, e), priv: priv, pub: pub})
		}
	}
	return keys
})

func keysForTest(t testing.TB) []*testKey {
	t.Helper()
	return testKeys()
}

// generateKey returns an RSA key of exactly bits bits with public exponent
// e. crypto/rsa.GenerateKey always uses 65537, so for other exponents the
// primes are generated here: p ≡ q ≡ 2 (mod 3) guarantees gcd(3, (p−1)(q−1))
// = 1 for e = 3.
func generateKey(bits, e int) (*rsa.PrivateKey, error) {
	if e == 65537 {
		return rsa.GenerateKey(rand.Reader, bits)
	}
	E := big.NewInt(int64(e))
	one := big.NewInt(1)
	for {
		p, err := rand.Prime(rand.Reader, bits/2)
		if err != nil {
			return nil, err
		}
		q, err := rand.Prime(rand.Reader, bits-bits/2)
		if err != nil {
			return nil, err
		}
		if p.Cmp(q) == 0 {
			continue
		}
		pm1 := new(big.Int).Sub(p, one)
		qm1 := new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm1, qm1)
		if new(big.Int).GCD(nil, nil, E, phi).Cmp(one) != 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != bits {
			continue
		}
		d := new(big.Int).ModInverse(E, phi)
		priv := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: n, E: e},
			D:         d,
			Primes:    []*big.Int{p, q},
		}
		priv.Precompute()
		if err := priv.Validate(); err != nil {
			return nil, err
		}
		return priv, nil
	}
}

var hashes = [...]crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}

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

// validEM is the one valid PKCS #1 v1.5 encoding (RFC 8017 §9.2) of hashed
// for a key of k bytes, built independently of the package's own code.
func validEM(k int, h crypto.Hash, hashed []byte) []byte {
	t := append(append([]byte(nil), digestInfoPrefix[h]...), hashed...)
	em := make([]byte, k)
	em[1] = 0x01
	for i := 2; i < k-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-len(t):], t)
	return em
}

// rawSign returns the k-byte signature whose encoded message is em, that
// is em^d mod N, computed with the CRT values; nil if em ≥ N.
func rawSign(priv *rsa.PrivateKey, em []byte) []byte {
	c := new(big.Int).SetBytes(em)
	if c.Cmp(priv.N) >= 0 {
		return nil
	}
	p, q := priv.Primes[0], priv.Primes[1]
	m1 := new(big.Int).Exp(c, priv.Precomputed.Dp, p)
	m2 := new(big.Int).Exp(c, priv.Precomputed.Dq, q)
	h := m1.Sub(m1, m2)
	h.Mul(h, priv.Precomputed.Qinv).Mod(h, p)
	s := h.Mul(h, q).Add(h, m2)
	return s.FillBytes(make([]byte, priv.Size()))
}
