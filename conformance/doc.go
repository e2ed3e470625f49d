// Package conformance holds jwtguard's conformance tests against the
// Wycheproof test vectors (github.com/C2SP/wycheproof). It is a module of
// its own, so that users of jwtguard never download the vectors: only
// `go test` in this directory does.
package conformance
