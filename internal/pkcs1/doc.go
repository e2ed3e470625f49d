// Package pkcs1 verifies RSASSA-PKCS1-v1_5 signatures (RFC 8017 §8.2.2)
// with a public key whose modulus is prepared once.
//
// crypto/rsa.VerifyPKCS1v15 rebuilds the modulus' Montgomery constants
// (R² mod N and −N⁻¹ mod 2^W) on every call, which costs about a third of an
// RSA-2048 verification. A [PublicKey] computes them once, with
// filippo.io/bigmod (the same constant-time arithmetic crypto/rsa uses
// internally), and then each verification is only the public-exponent
// exponentiation s^e mod N and one comparison.
//
// # Construction
//
// Verification follows RFC 8017 §8.2.2 in its "encode and compare" form
// (§9.2, Note 2): the signature s is turned into the encoded message
// EM = s^e mod N, and EM is compared as a whole, in constant time, with the
// single valid encoding of the expected digest for that key size,
//
//	EM' = 0x00 || 0x01 || 0xFF … 0xFF || 0x00 || DigestInfo(hash) || H
//
// EM is never parsed. Parsing verifiers — ones that look for the 0x00 after
// the padding, then decode the ASN.1 DigestInfo — are how the
// Bleichenbacher 2006 forgeries against e = 3 keys (garbage after the
// digest, hidden where a lax parser does not look) and BERserk (2014: lax
// BER length decoding in the DigestInfo) came about. With one valid
// encoding and a byte-for-byte comparison there is nothing to be lax about:
// any EM other than EM' is rejected.
//
// Only SHA-256, SHA-384 and SHA-512 are supported (the hashes of the JWS
// algorithms RS256, RS384 and RS512, RFC 7518 §3.3), and only moduli of
// 2,048 to 4,096 bits. RSASSA-PSS is not implemented here: PS256/384/512
// stay on crypto/rsa.VerifyPSS.
package pkcs1
