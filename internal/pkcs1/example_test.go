package pkcs1_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"

	"github.com/jwtguard/jwtguard/internal/pkcs1"
)

// Prepare the key once, when it is loaded, then verify any number of
// signatures with it, from any goroutine.
func ExamplePublicKey_VerifyPKCS1v15() {
	var pub *rsa.PublicKey // from the issuer's JWK Set
	var input, sig []byte  // the JWS signing input and signature
	k, err := pkcs1.NewPublicKey(pub)
	if err != nil {
		fmt.Println("key refused:", err)
		return
	}
	digest := sha256.Sum256(input)
	fmt.Println(k.VerifyPKCS1v15(crypto.SHA256, digest[:], sig))
}
