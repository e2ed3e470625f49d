package pkcs1

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"strings"
	"sync"
	"testing"
)

func TestNewPublicKeyRefuses(t *testing.T) {
	n2048 := keysForTest(t)[0].priv.N
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	big4097 := new(big.Int).Lsh(big.NewInt(1), 4096)
	big4097.Add(big4097, big.NewInt(1))
	even := new(big.Int).Add(n2048, big.NewInt(1))
	cases := []struct {
		name string
		pub  *rsa.PublicKey
	}{
		{"nil", nil},
		{"nil N", &rsa.PublicKey{E: 65537}},
		{"1024 bits", &small.PublicKey},
		{"2047 bits", &rsa.PublicKey{N: new(big.Int).Rsh(n2048, 1), E: 65537}},
		{"4097 bits", &rsa.PublicKey{N: big4097, E: 65537}},
		{"even N", &rsa.PublicKey{N: even, E: 65537}},
		{"e = 1", &rsa.PublicKey{N: n2048, E: 1}},
		{"e = 2", &rsa.PublicKey{N: n2048, E: 2}},
		{"e even", &rsa.PublicKey{N: n2048, E: 65536}},
		{"e negative", &rsa.PublicKey{N: n2048, E: -3}},
		{"e = 2^31+1", &rsa.PublicKey{N: n2048, E: 1<<31 + 1}},
	}
	for _, c := range cases {
		if k, err := NewPublicKey(c.pub); err == nil || k != nil {
			t.Errorf("%s: NewPublicKey accepted it", c.name)
		}
	}
	for _, e := range []int{3, 65537, 1<<31 - 1} {
		if _, err := NewPublicKey(&rsa.PublicKey{N: n2048, E: e}); err != nil {
			t.Errorf("e = %d refused: %v", e, err)
		}
	}
	k := keysForTest(t)[0]
	if k.pub.Public() != &k.priv.PublicKey {
		t.Error("Public does not return the key given")
	}
	if k.pub.Size() != 256 {
		t.Errorf("Size = %d, want 256", k.pub.Size())
	}
}

// TestVerifyValid checks signatures made by crypto/rsa are accepted, and the
// same signature under another hash or digest rejected.
func TestVerifyValid(t *testing.T) {
	for _, k := range keysForTest(t) {
		for _, h := range hashes {
			hashed := digest(h, []byte("payload "+k.name))
			sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, h, hashed)
			if err != nil {
				t.Fatal(err)
			}
			if !k.pub.VerifyPKCS1v15(h, hashed, sig) {
				t.Errorf("%s %v: valid signature rejected", k.name, h)
			}
			for _, h2 := range hashes {
				if h2 != h && k.pub.VerifyPKCS1v15(h2, digest(h2, []byte("payload "+k.name)), sig) {
					t.Errorf("%s: %v signature accepted as %v", k.name, h, h2)
				}
			}
			other := digest(h, []byte("other"))
			if k.pub.VerifyPKCS1v15(h, other, sig) {
				t.Errorf("%s %v: signature accepted for another digest", k.name, h)
			}
			for _, bad := range []crypto.Hash{0, crypto.SHA1, crypto.SHA224, crypto.SHA512_256, crypto.MD5, crypto.SHA3_256} {
				if k.pub.VerifyPKCS1v15(bad, hashed, sig) || k.pub.VerifyPKCS1v15(bad, hashed[:min(len(hashed), 20)], sig) {
					t.Errorf("%s: unsupported hash %v accepted", k.name, bad)
				}
			}
			if k.pub.VerifyPKCS1v15(h, hashed[:len(hashed)-1], sig) || k.pub.VerifyPKCS1v15(h, append(hashed, 0), sig) {
				t.Errorf("%s %v: digest of the wrong length accepted", k.name, h)
			}
		}
	}
}

// TestForgedShapes signs (with the private key, so that only the encoding
// is wrong) the encoded-message shapes that forgeries against parsing
// verifiers use, and checks both this package and crypto/rsa reject them.
func TestForgedShapes(t *testing.T) {
	type shape struct {
		name string
		em   func(k int, h crypto.Hash, hashed []byte) []byte
	}
	di := func(h crypto.Hash) []byte { return append([]byte(nil), digestInfoPrefix[h]...) }
	// build lays out 0x00 0x01 PS 0x00 T, then fills the rest with tail
	// (Bleichenbacher 2006: garbage after the digest).
	build := func(k, psLen int, bt byte, t, tail []byte) []byte {
		em := []byte{0x00, bt}
		em = append(em, bytes.Repeat([]byte{0xff}, psLen)...)
		em = append(em, 0x00)
		em = append(em, t...)
		for len(em) < k {
			em = append(em, tail...)
		}
		return em[:k]
	}
	shapes := []shape{
		{"garbage after the digest, PS of 8", func(k int, h crypto.Hash, d []byte) []byte {
			return build(k, 8, 0x01, append(di(h), d...), []byte{0xde, 0xad, 0xbe, 0xef})
		}},
		{"garbage after the digest, PS of 1", func(k int, h crypto.Hash, d []byte) []byte {
			return build(k, 1, 0x01, append(di(h), d...), []byte{0x00})
		}},
		{"short padding, digest at the end", func(k int, h crypto.Hash, d []byte) []byte {
			em := validEM(k, h, d)
			// 0x00 0x01 FF×7 0x00 … 0x00 DigestInfo H: PS ended early.
			for i := 9; i < k-len(di(h))-len(d); i++ {
				em[i] = 0x00
			}
			return em
		}},
		{"no padding", func(k int, h crypto.Hash, d []byte) []byte {
			em := make([]byte, k)
			copy(em[k-len(di(h))-len(d):], append(di(h), d...))
			return em
		}},
		{"block type 2", func(k int, h crypto.Hash, d []byte) []byte {
			em := validEM(k, h, d)
			em[1] = 0x02
			return em
		}},
		{"block type 0", func(k int, h crypto.Hash, d []byte) []byte {
			em := validEM(k, h, d)
			em[1] = 0x00
			return em
		}},
		{"first byte 1", func(k int, h crypto.Hash, d []byte) []byte {
			em := validEM(k, h, d)
			em[0], em[1] = 0x01, 0x00
			return em
		}},
		{"zero byte inside PS", func(k int, h crypto.Hash, d []byte) []byte {
			em := validEM(k, h, d)
			em[k/2] = 0x00
			return em
		}},
		{"no 0x00 separator", func(k int, h crypto.Hash, d []byte) []byte {
			em := validEM(k, h, d)
			em[k-len(di(h))-len(d)-1] = 0xff
			return em
		}},
		{"DigestInfo without NULL parameters", func(k int, h crypto.Hash, d []byte) []byte {
			t := di(h)
			t = append([]byte{0x30, t[1] - 2, 0x30, 0x0b}, t[4:15]...) // drop 05 00
			t = append(t, 0x04, byte(len(d)))
			return validEMWithT(k, append(t, d...))
		}},
		{"DigestInfo with a long-form length (BERserk)", func(k int, h crypto.Hash, d []byte) []byte {
			t := di(h)
			t = append([]byte{0x30, 0x81, t[1]}, t[2:]...)
			return validEMWithT(k, append(t, d...))
		}},
		{"DigestInfo with a wrong outer length", func(k int, h crypto.Hash, d []byte) []byte {
			t := di(h)
			t[1]++
			return validEMWithT(k, append(t, append(d, 0x00)...))
		}},
		{"DigestInfo with a trailing byte", func(k int, h crypto.Hash, d []byte) []byte {
			return validEMWithT(k, append(append(di(h), d...), 0x00))
		}},
		{"digest truncated by one byte", func(k int, h crypto.Hash, d []byte) []byte {
			return validEMWithT(k, append(di(h), d[:len(d)-1]...))
		}},
		{"wrong OID arc", func(k int, h crypto.Hash, d []byte) []byte {
			t := di(h)
			t[14] ^= 0x08
			return validEMWithT(k, append(t, d...))
		}},
		{"OID of another hash", func(k int, h crypto.Hash, d []byte) []byte {
			other := crypto.SHA512
			if h == crypto.SHA512 {
				other = crypto.SHA256
			}
			t := di(other)
			t[1] = t[1] - byte(other.Size()) + byte(len(d))
			t[len(t)-1] = byte(len(d))
			return validEMWithT(k, append(t, d...))
		}},
		{"SHA-1 DigestInfo", func(k int, h crypto.Hash, d []byte) []byte {
			t := []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}
			return validEMWithT(k, append(t, d[:20]...))
		}},
		{"bare digest without DigestInfo", func(k int, h crypto.Hash, d []byte) []byte {
			return validEMWithT(k, d)
		}},
	}
	for _, k := range keysForTest(t) {
		for _, h := range hashes {
			hashed := digest(h, []byte("forged "+k.name))
			good := rawSign(k.priv, validEM(k.pub.Size(), h, hashed))
			if !k.pub.VerifyPKCS1v15(h, hashed, good) || rsa.VerifyPKCS1v15(&k.priv.PublicKey, h, hashed, good) != nil {
				t.Fatalf("%s %v: the valid encoding is rejected", k.name, h)
			}
			for _, s := range shapes {
				em := s.em(k.pub.Size(), h, hashed)
				if len(em) != k.pub.Size() {
					t.Fatalf("%s: bad test EM length %d", s.name, len(em))
				}
				sig := rawSign(k.priv, em)
				if sig == nil {
					t.Fatalf("%s: EM ≥ N", s.name)
				}
				if k.pub.VerifyPKCS1v15(h, hashed, sig) {
					t.Errorf("%s %v: %s accepted", k.name, h, s.name)
				}
				if rsa.VerifyPKCS1v15(&k.priv.PublicKey, h, hashed, sig) == nil {
					t.Errorf("%s %v: %s accepted by crypto/rsa", k.name, h, s.name)
				}
			}
		}
	}
}

// validEMWithT is 0x00 0x01 FF… 0x00 || t for a k-byte key.
func validEMWithT(k int, t []byte) []byte {
	em := bytes.Repeat([]byte{0xff}, k)
	em[0], em[1] = 0x00, 0x01
	em[k-len(t)-1] = 0x00
	copy(em[k-len(t):], t)
	return em
}

// TestBleichenbacher2006 builds the actual forgery of Bleichenbacher's 2006
// attack for every e = 3 key, with no private key: the integer cube root of
// 0x00 0x01 0xFF 0x00 DigestInfo H followed by all-ones garbage. Cubed, it
// reproduces that prefix and puts garbage after the digest, which a
// verifier that parses EM and ignores trailing bytes accepts.
func TestBleichenbacher2006(t *testing.T) {
	for _, k := range keysForTest(t) {
		if k.priv.E != 3 {
			continue
		}
		for _, h := range hashes {
			hashed := digest(h, []byte("forged "+k.name))
			prefix := append([]byte{0x00, 0x01, 0xff, 0x00}, digestInfoPrefix[h]...)
			prefix = append(prefix, hashed...)
			size := k.pub.Size()
			// ∛ of a 8·size-bit number is exact to about 2/3 of its bits:
			// the garbage must be longer than that.
			if garbage := 8 * (size - len(prefix)); garbage < 2*8*size/3+8 {
				t.Logf("%s %v: no room for the forgery (%d bits of garbage)", k.name, h, garbage)
				continue
			}
			upper := append(prefix, bytes.Repeat([]byte{0xff}, size-len(prefix))...)
			s := cubeRoot(new(big.Int).SetBytes(upper))
			em := new(big.Int).Exp(s, big.NewInt(3), nil).FillBytes(make([]byte, size))
			if !bytes.HasPrefix(em, prefix) {
				t.Fatalf("%s %v: the forgery construction failed", k.name, h)
			}
			sig := s.FillBytes(make([]byte, size))
			if k.pub.VerifyPKCS1v15(h, hashed, sig) {
				t.Errorf("%s %v: Bleichenbacher forgery accepted", k.name, h)
			}
			if rsa.VerifyPKCS1v15(&k.priv.PublicKey, h, hashed, sig) == nil {
				t.Errorf("%s %v: Bleichenbacher forgery accepted by crypto/rsa", k.name, h)
			}
		}
	}
}

// cubeRoot returns ⌊∛x⌋ by Newton's method.
func cubeRoot(x *big.Int) *big.Int {
	r := new(big.Int).Lsh(big.NewInt(1), uint(x.BitLen()/3+1)) // r ≥ ∛x
	three, two := big.NewInt(3), big.NewInt(2)
	for {
		// r' = (2r + x/r²) / 3
		next := new(big.Int).Mul(r, r)
		next.Quo(x, next)
		next.Add(next, new(big.Int).Mul(r, two))
		next.Quo(next, three)
		if next.Cmp(r) >= 0 {
			return r
		}
		r = next
	}
}

// TestSpecialSignatures checks s = 0, 1, N−1, N, N+1 and length changes.
func TestSpecialSignatures(t *testing.T) {
	for _, k := range keysForTest(t) {
		n := k.priv.N
		size := k.pub.Size()
		hashed := digest(crypto.SHA256, nil)
		valid, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, hashed)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string][]byte{
			"empty":             nil,
			"0":                 make([]byte, size),
			"1":                 big.NewInt(1).FillBytes(make([]byte, size)),
			"N-1":               new(big.Int).Sub(n, big.NewInt(1)).FillBytes(make([]byte, size)),
			"N":                 n.FillBytes(make([]byte, size)),
			"N+1":               new(big.Int).Add(n, big.NewInt(1)).FillBytes(make([]byte, size)),
			"all ones":          bytes.Repeat([]byte{0xff}, size),
			"valid+N":           new(big.Int).Add(n, new(big.Int).SetBytes(valid)).FillBytes(make([]byte, size+1)),
			"leading zero":      append([]byte{0}, valid...),
			"trailing zero":     append(append([]byte(nil), valid...), 0),
			"truncated":         valid[:size-1],
			"leading zero only": append([]byte{0}, valid[:size-1]...),
		}
		for name, sig := range cases {
			if k.pub.VerifyPKCS1v15(crypto.SHA256, hashed, sig) {
				t.Errorf("%s: %s accepted", k.name, name)
			}
			if rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, hashed, sig) == nil {
				t.Errorf("%s: %s accepted by crypto/rsa", k.name, name)
			}
		}
		if !k.pub.VerifyPKCS1v15(crypto.SHA256, hashed, valid) {
			t.Errorf("%s: valid signature rejected", k.name)
		}
	}
}

// TestPutBigEndian checks the allocation-free I2OSP against math/big.
func TestPutBigEndian(t *testing.T) {
	for _, size := range []int{1, 7, 8, 9, 255, 256, 257, 384, 512} {
		for range 50 {
			buf := make([]byte, size)
			rand.Read(buf)
			buf[0] &= byte(0xff >> (size % 3)) // vary the top bits
			x := new(big.Int).SetBytes(buf)
			limbs := make([]uint, (size*8+63)/64*(64/32)) // plenty of limbs
			for i, w := range x.Bits() {
				limbs[i] = uint(w)
			}
			dst := bytes.Repeat([]byte{0xaa}, size)
			putBigEndian(dst, limbs[:len(x.Bits())])
			if !bytes.Equal(dst, buf) {
				t.Fatalf("size %d: putBigEndian = %x, want %x", size, dst, buf)
			}
		}
	}
}

// TestConcurrentVerify runs verifications of every key from many
// goroutines at once (run it with -race).
func TestConcurrentVerify(t *testing.T) {
	keys := keysForTest(t)
	type job struct {
		k      *testKey
		hashed []byte
		sig    []byte
		want   bool
	}
	var jobs []job
	for _, k := range keys {
		hashed := digest(crypto.SHA256, []byte(k.name))
		sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, hashed)
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]byte(nil), sig...)
		bad[len(bad)/2] ^= 1
		jobs = append(jobs, job{k, hashed, sig, true}, job{k, hashed, bad, false})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fails []string
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				j := jobs[(g+i)%len(jobs)]
				if got := j.k.pub.VerifyPKCS1v15(crypto.SHA256, j.hashed, j.sig); got != j.want {
					mu.Lock()
					fails = append(fails, j.k.name)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("wrong verdicts under concurrency: %s", strings.Join(fails, ", "))
	}
}
