package jws

import (
	"crypto"
	"crypto/elliptic"
)

// Alg is a JWS signature algorithm jwtguard verifies (RFC 7518 §3, RFC 8037
// §3.1). The zero Alg is no algorithm: "none", the HMAC algorithms and
// anything unknown parse to it and are never accepted.
type Alg uint8

// The asymmetric JWS algorithms, in table order.
const (
	AlgInvalid Alg = iota
	RS256
	RS384
	RS512
	PS256
	PS384
	PS512
	ES256
	ES384
	ES512
	EdDSA
	numAlgs
)

// KeyType is a JWK kty (RFC 7518 §6.1, RFC 8037 §2).
type KeyType uint8

// Key types.
const (
	KeyNone KeyType = iota
	KeyRSA
	KeyEC
	KeyOKP
)

// algInfo is one row of the one algorithm table: every other place that
// needs an algorithm's name, key type, hash or curve reads it from here.
type algInfo struct {
	name  string
	kty   KeyType
	hash  crypto.Hash // 0 for EdDSA (the message is signed whole)
	pss   bool        // RSASSA-PSS rather than PKCS #1 v1.5
	curve func() elliptic.Curve
	crv   string // JWK crv of the curve (EC) or of the OKP key
	size  int    // ECDSA: bytes of r and of s
}

var algs = [numAlgs]algInfo{
	RS256: {name: "RS256", kty: KeyRSA, hash: crypto.SHA256},
	RS384: {name: "RS384", kty: KeyRSA, hash: crypto.SHA384},
	RS512: {name: "RS512", kty: KeyRSA, hash: crypto.SHA512},
	PS256: {name: "PS256", kty: KeyRSA, hash: crypto.SHA256, pss: true},
	PS384: {name: "PS384", kty: KeyRSA, hash: crypto.SHA384, pss: true},
	PS512: {name: "PS512", kty: KeyRSA, hash: crypto.SHA512, pss: true},
	ES256: {name: "ES256", kty: KeyEC, hash: crypto.SHA256, curve: elliptic.P256, crv: "P-256", size: 32},
	ES384: {name: "ES384", kty: KeyEC, hash: crypto.SHA384, curve: elliptic.P384, crv: "P-384", size: 48},
	ES512: {name: "ES512", kty: KeyEC, hash: crypto.SHA512, curve: elliptic.P521, crv: "P-521", size: 66},
	EdDSA: {name: "EdDSA", kty: KeyOKP, crv: "Ed25519"},
}

// ParseAlg returns the algorithm named exactly name (case-sensitive, RFC
// 7515 §4.1.1), or AlgInvalid.
func ParseAlg(name string) Alg {
	switch name {
	case "RS256":
		return RS256
	case "RS384":
		return RS384
	case "RS512":
		return RS512
	case "PS256":
		return PS256
	case "PS384":
		return PS384
	case "PS512":
		return PS512
	case "ES256":
		return ES256
	case "ES384":
		return ES384
	case "ES512":
		return ES512
	case "EdDSA":
		return EdDSA
	}
	return AlgInvalid
}

// Valid reports whether a is one of the table's algorithms.
func (a Alg) Valid() bool { return a > AlgInvalid && a < numAlgs }

// String returns the algorithm's JWS name, or "" for AlgInvalid.
func (a Alg) String() string {
	if !a.Valid() {
		return ""
	}
	return algs[a].name
}

// Hash is the digest the algorithm signs (0 for EdDSA).
func (a Alg) Hash() crypto.Hash {
	if !a.Valid() {
		return 0
	}
	return algs[a].hash
}

// KeyType is the JWK kty the algorithm's keys have.
func (a Alg) KeyType() KeyType {
	if !a.Valid() {
		return KeyNone
	}
	return algs[a].kty
}

// Curve is the curve of an ES* algorithm's keys, nil for the others.
func (a Alg) Curve() elliptic.Curve {
	if !a.Valid() || algs[a].curve == nil {
		return nil
	}
	return algs[a].curve()
}

// Names returns every algorithm's name, in table order.
func Names() []string {
	out := make([]string, 0, numAlgs-1)
	for a := Alg(1); a < numAlgs; a++ {
		out = append(out, algs[a].name)
	}
	return out
}
