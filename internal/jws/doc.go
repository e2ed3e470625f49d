// Package jws reads what jwtguard is handed: compact JWS tokens, their
// headers, JWKs and JWK Sets. It holds the one algorithm table (names, key
// types, hashes, curves) that every other part of jwtguard reads, and
// verifies signatures with the standard library's primitives.
package jws
