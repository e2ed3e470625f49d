package pkcs1

import (
	"crypto/rsa"
	"math/big"
	"testing"
)

// FuzzVerifyPKCS1v15 checks the prepared verification agrees with
// crypto/rsa.VerifyPKCS1v15 on every input. The key (RSA-2048/3072/4096,
// e = 65537 or 3) and the signing and verifying hashes are chosen by the
// fuzzer, and mode picks how the signature is made from data:
//
//	0: data is the signature, as is;
//	1: a valid signature of msg, then mutated by the ops in data;
//	2: the valid encoded message EM' mutated by the ops in data, then
//	   signed with the private key: near-miss encodings with a correct
//	   RSA signature, the space forgeries against parsing verifiers live in;
//	3: a special value (0, 1, N−1, N, N+1, N+data) with leading zeros or
//	   truncated.
//
// Each op in data is three bytes: kind, position, value (bit flip, byte
// set, truncation, extension, leading zero).
func FuzzVerifyPKCS1v15(f *testing.F) {
	for key := range 6 {
		for mode := range 4 {
			f.Add(uint8(key), uint8(0), uint8(mode), []byte("msg"), []byte{})
			f.Add(uint8(key), uint8(4), uint8(mode), []byte("msg"), []byte{0, 10, 3, 1, 0, 0})
			f.Add(uint8(key), uint8(1), uint8(mode), []byte{}, []byte{2, 200, 1, 3, 0, 0, 4, 1, 0xff})
		}
	}
	keys := testKeys()
	f.Fuzz(func(t *testing.T, key, hashSel, mode uint8, msg, data []byte) {
		k := keys[int(key)%len(keys)]
		signHash := hashes[int(hashSel)%3]
		verifyHash := hashes[int(hashSel/3)%3]
		size := k.pub.Size()
		hashed := digest(verifyHash, msg)
		signed := digest(signHash, msg)

		var sig []byte
		mutated := false
		switch mode % 4 {
		case 0:
			sig = data
			mutated = true
		case 1:
			sig = rawSign(k.priv, validEM(size, signHash, signed))
			sig, mutated = mutate(sig, data)
		case 2:
			em, m := mutate(validEM(size, signHash, signed), data)
			mutated = m
			if len(em) != size || new(big.Int).SetBytes(em).Cmp(k.priv.N) >= 0 {
				sig = em
			} else {
				sig = rawSign(k.priv, em)
			}
		case 3:
			n := k.priv.N
			var s *big.Int
			sel := 0
			if len(data) > 0 {
				sel = int(data[0])
			}
			switch sel % 6 {
			case 0:
				s = big.NewInt(0)
			case 1:
				s = big.NewInt(1)
			case 2:
				s = new(big.Int).Sub(n, big.NewInt(1))
			case 3:
				s = new(big.Int).Set(n)
			case 4:
				s = new(big.Int).Add(n, big.NewInt(1))
			case 5:
				s = new(big.Int).Add(n, new(big.Int).SetBytes(data))
			}
			sig = s.FillBytes(make([]byte, max(size, (s.BitLen()+7)/8)))
			if len(data) > 1 {
				sig, _ = mutate(sig, data[1:])
			}
			mutated = true
		}

		ours := k.pub.VerifyPKCS1v15(verifyHash, hashed, sig)
		theirs := rsa.VerifyPKCS1v15(&k.priv.PublicKey, verifyHash, hashed, sig) == nil
		if ours != theirs {
			t.Fatalf("%s sign %v verify %v mode %d: prepared = %v, crypto/rsa = %v\nsig %x", k.name, signHash, verifyHash, mode%4, ours, theirs, sig)
		}
		if !mutated && signHash == verifyHash && !ours {
			t.Fatalf("%s %v: valid signature rejected", k.name, signHash)
		}
	})
}

// mutate applies the ops in data (three bytes each: kind, position, value)
// to a copy of b and reports whether it changed anything.
func mutate(b, data []byte) ([]byte, bool) {
	out := append([]byte(nil), b...)
	changed := false
	for ; len(data) >= 3; data = data[3:] {
		kind, pos, val := data[0]%6, int(data[1]), data[2]
		if len(out) > 0 {
			// Spread positions over the whole buffer, ends included.
			pos = pos * (len(out) - 1) / 255
		}
		switch kind {
		case 0: // flip a bit
			if len(out) > 0 && val != 0 {
				out[pos] ^= 1 << (val % 8)
				changed = true
			}
		case 1: // set a byte
			if len(out) > 0 && out[pos] != val {
				out[pos] = val
				changed = true
			}
		case 2: // truncate
			if pos < len(out) {
				out = out[:pos]
				changed = true
			}
		case 3: // extend
			out = append(out, val)
			changed = true
		case 4: // leading zero
			out = append([]byte{0}, out...)
			changed = true
		case 5: // drop the first byte
			if len(out) > 0 {
				out = out[1:]
				changed = true
			}
		}
	}
	return out, changed
}
