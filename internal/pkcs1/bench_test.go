package pkcs1

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"testing"
	"time"
)

// benchKeys returns the e = 65537 test keys with a valid RS256 signature.
func benchKeys(tb testing.TB) []benchCase {
	var out []benchCase
	for _, k := range testKeys() {
		if k.priv.E != 65537 {
			continue
		}
		hashed := digest(crypto.SHA256, []byte("header.payload"))
		sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, hashed)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, benchCase{k, hashed, sig})
	}
	return out
}

type benchCase struct {
	k      *testKey
	hashed []byte
	sig    []byte
}

// BenchmarkVerify compares the prepared verification with
// crypto/rsa.VerifyPKCS1v15 on the same RS256 signature, per key size. The
// two sub-benchmarks of a size run back to back, so that (with -count) they
// are interleaved in one run.
func BenchmarkVerify(b *testing.B) {
	for _, c := range benchKeys(b) {
		bits := c.k.priv.N.BitLen()
		b.Run(fmt.Sprintf("RSA-%d/prepared", bits), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !c.k.pub.VerifyPKCS1v15(crypto.SHA256, c.hashed, c.sig) {
					b.Fatal("rejected")
				}
			}
		})
		b.Run(fmt.Sprintf("RSA-%d/crypto-rsa", bits), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rsa.VerifyPKCS1v15(&c.k.priv.PublicKey, crypto.SHA256, c.hashed, c.sig) != nil {
					b.Fatal("rejected")
				}
			}
		})
	}
}

// BenchmarkVerifyPaired alternates one prepared and one crypto/rsa
// verification in every iteration, so that both see the same machine load
// (on a shared machine, separate benchmarks can run minutes apart), and
// reports each one's time and their ratio. Its ns/op and allocs/op are
// those of the pair.
func BenchmarkVerifyPaired(b *testing.B) {
	for _, c := range benchKeys(b) {
		b.Run(fmt.Sprintf("RSA-%d", c.k.priv.N.BitLen()), func(b *testing.B) {
			b.ReportAllocs()
			ratio, ours, theirs := pairedRatio(c, b.N)
			b.ReportMetric(float64(ours.Nanoseconds()), "prepared-ns/op")
			b.ReportMetric(float64(theirs.Nanoseconds()), "crypto-rsa-ns/op")
			b.ReportMetric(ratio, "ratio")
		})
	}
}

// pairedRatio runs n rounds of one prepared and one crypto/rsa
// verification each, alternating which goes first, and returns
// prepared/crypto-rsa time and the per-verification times.
func pairedRatio(c benchCase, n int) (float64, time.Duration, time.Duration) {
	var ours, theirs time.Duration
	pub := &c.k.priv.PublicKey
	runOurs := func() {
		t0 := time.Now()
		ok := c.k.pub.VerifyPKCS1v15(crypto.SHA256, c.hashed, c.sig)
		ours += time.Since(t0)
		if !ok {
			panic("prepared verification rejected a valid signature")
		}
	}
	runTheirs := func() {
		t0 := time.Now()
		err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, c.hashed, c.sig)
		theirs += time.Since(t0)
		if err != nil {
			panic(err)
		}
	}
	for i := range n {
		if i%2 == 0 {
			runOurs()
			runTheirs()
		} else {
			runTheirs()
			runOurs()
		}
	}
	n = max(n, 1)
	return float64(ours) / float64(theirs), ours / time.Duration(n), theirs / time.Duration(n)
}
