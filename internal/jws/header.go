package jws

import (
	"errors"
	"unsafe"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// MaxKidLen bounds a kid: a longer one is malformed. Real kids are
// thumbprints, UUIDs or short names, far below it.
const MaxKidLen = 256

// Header errors. ErrHeader covers every malformed header; ErrCritical a
// header that lists extensions the verifier must understand; ErrAlgorithm
// an alg that is not an asymmetric JWS algorithm of the table.
var (
	ErrHeader    = errors.New("malformed JOSE header")
	ErrCritical  = errors.New("unsupported critical header parameter")
	ErrAlgorithm = errors.New("algorithm not allowed")
)

// Header holds the JOSE header parameters jwtguard reads (RFC 7515 §4.1).
// jku, x5u, jwk and x5c are never read: no header chooses a key.
type Header struct {
	Alg     Alg
	AlgName string // the alg member as sent (bounded, for errors and metrics)
	Kid     string
	HasKid  bool
	Typ     string
	HasTyp  bool
}

// ParseHeader decodes a JOSE header strictly: one JSON object (no duplicate
// member names, valid UTF-8, exact member names), alg a string, kid and typ
// strings when present (null or another type is malformed), kid at most
// MaxKidLen bytes, and no crit member at all — jwtguard implements no JWS
// extension, so every listed one is unknown (RFC 7515 §4.1.11).
//
// The strings of the returned Header point into b, which the caller must
// never modify afterwards.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if strictjson.Valid(b) != nil {
		return h, ErrHeader
	}
	it, err := strictjson.Object(b)
	if err != nil {
		return h, ErrHeader
	}
	var hasAlg, crit bool
	for {
		name, val, ok := it.Next()
		if !ok {
			break
		}
		switch string(name) {
		case "alg":
			s, ok := stringValue(val)
			if !ok {
				return h, ErrHeader
			}
			hasAlg, h.AlgName, h.Alg = true, s, ParseAlg(s)
		case "kid":
			s, ok := stringValue(val)
			if !ok || len(s) > MaxKidLen {
				return h, ErrHeader
			}
			h.Kid, h.HasKid = s, true
		case "typ":
			s, ok := stringValue(val)
			if !ok {
				return h, ErrHeader
			}
			h.Typ, h.HasTyp = s, true
		case "crit":
			crit = true
		}
	}
	if it.Err() != nil || !hasAlg {
		return h, ErrHeader
	}
	if len(h.AlgName) > 32 {
		h.AlgName = h.AlgName[:32]
	}
	if crit {
		return h, ErrCritical
	}
	if h.Alg == AlgInvalid {
		return h, ErrAlgorithm
	}
	return h, nil
}

// stringValue returns the string a raw JSON value holds, pointing into the
// document when the literal has no escape.
func stringValue(v []byte) (string, bool) {
	if strictjson.Kind(v) != '"' {
		return "", false
	}
	s, ok := strictjson.Unquote(v)
	if !ok {
		return "", false
	}
	return String(s), true
}

// String returns b as a string without copying. The bytes must never be
// modified afterwards: jwtguard decodes each token into a buffer of its
// own and never writes to it again.
func String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
