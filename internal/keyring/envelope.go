package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// A stored document is
//
//	"jwtguard.v2." base64url(MAC) "." body
//
// where body is the JSON envelope (see envelope) and MAC is HMAC-SHA-256,
// under a secret the fleet shares, over
//
//	"jwtguard stored document v2" 0x00 storeKey 0x00 body
//
// so that a document is bound to the store key (and through it to the
// issuer) it was written under, and to this version of the format. The MAC
// is checked, in constant time, over the exact stored bytes before any of
// them is parsed.
const (
	sealPrefix  = "jwtguard.v2."
	macContext  = "jwtguard stored document v2"
	macLen      = sha256.Size
	macB64Len   = (macLen*8 + 5) / 6 // unpadded base64url
	envelopeV   = 2
	sealedExtra = len(sealPrefix) + macB64Len + 1
	// EnvelopeOverhead bounds what the envelope adds to the JWKS it
	// carries (field names, times, issuer, source and jwks_uri are bounded
	// by MaxURLLength each).
	EnvelopeOverhead = sealedExtra + 512 + 3*MaxURLLength
	// MaxURLLength bounds the issuer, source and jwks_uri a document may
	// carry.
	MaxURLLength = 2048
)

// MinSecretLen is the shortest accepted store secret.
const MinSecretLen = 32

// Reasons a stored document is refused (Rejection.Reason).
const (
	RejectSize   = "size"   // larger than MaxDocumentSize plus the envelope
	RejectMAC    = "mac"    // no MAC, or one no accepted secret made
	RejectFormat = "format" // authenticated, but not a version-2 envelope
	RejectIssuer = "issuer" // authenticated, but for another issuer or source
	RejectBounds = "bounds" // authenticated, but its times are out of bounds
	RejectKeys   = "keys"   // authenticated, but its JWKS does not parse
)

// envelope is the JSON body of a stored document.
type envelope struct {
	V         int             `json:"v"`
	Issuer    string          `json:"iss"`
	Source    string          `json:"src"`
	FetchedAt int64           `json:"fetched_at"`          // unix ms
	ExpiresAt int64           `json:"expires_at"`          // unix ms
	FailedAt  int64           `json:"failed_at,omitempty"` // unix ms of the last failed fetch, 0 if none since
	JWKSURI   string          `json:"jwks_uri,omitempty"`  // discovered jwks_uri
	JWKS      json.RawMessage `json:"jwks"`
}

// encodeEnvelope and decodeEnvelope are the one place the envelope's JSON
// is written and read.
func encodeEnvelope(e *envelope) ([]byte, error) { return json.Marshal(e) }

// decodeEnvelope reads an envelope whose MAC was checked, strictly (exact
// member names, no duplicates, valid UTF-8), as every document is read.
func decodeEnvelope(body []byte) (*envelope, error) {
	if strictjson.Kind(body) != '{' {
		return nil, errors.New("stored document is not a JSON object")
	}
	var e envelope
	if err := strictjson.Decode(body, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

func mac(secret []byte, storeKey string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(macContext))
	m.Write([]byte{0})
	m.Write([]byte(storeKey))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)
}

// seal encodes e for storeKey, signed with secret.
func seal(secret []byte, storeKey string, e *envelope) ([]byte, error) {
	body, err := encodeEnvelope(e)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, sealedExtra+len(body))
	out = append(out, sealPrefix...)
	out = appendB64(out, mac(secret, storeKey, body))
	out = append(out, '.')
	return append(out, body...), nil
}

// rejection is why a stored document was refused.
type rejection struct{ reason string }

func (r *rejection) Error() string { return "stored document refused: " + r.reason }

func reject(reason string) error { return &rejection{reason} }

// RejectReason returns the Reject… code of an error from open, or "".
func RejectReason(err error) string {
	var r *rejection
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}

// open authenticates data as a document stored under storeKey with one of
// secrets, before parsing anything, and returns its envelope. limit bounds
// the size of data. It checks the format only; see check for the bounds.
func open(data []byte, storeKey string, secrets [][]byte, limit int) (*envelope, error) {
	if len(data) > limit {
		return nil, reject(RejectSize)
	}
	if len(data) < sealedExtra || string(data[:len(sealPrefix)]) != sealPrefix || data[sealedExtra-1] != '.' {
		return nil, reject(RejectMAC)
	}
	var got [macLen]byte
	if n, err := base64.RawURLEncoding.Decode(got[:], data[len(sealPrefix):sealedExtra-1]); err != nil || n != macLen {
		return nil, reject(RejectMAC)
	}
	body := data[sealedExtra:]
	ok := false
	for _, s := range secrets {
		// Every secret is tried, so the time taken does not tell which.
		if hmac.Equal(mac(s, storeKey, body), got[:]) {
			ok = true
		}
	}
	if !ok {
		return nil, reject(RejectMAC)
	}
	e, err := decodeEnvelope(body)
	if err != nil || e.V != envelopeV || len(e.JWKS) == 0 || string(e.JWKS) == "null" {
		return nil, reject(RejectFormat)
	}
	return e, nil
}

// maxSkew is how far in the future a stored time may lie: replicas' clocks
// differ by a little.
const maxSkew = 5 * time.Second

// check bounds an authenticated envelope: it is for issuer and source, was
// fetched no later than now plus maxSkew, and is fresh for no more than
// maxTTL.
func (e *envelope) check(issuer, source string, now time.Time, maxTTL time.Duration) error {
	if e.Issuer != issuer || e.Source != source {
		return reject(RejectIssuer)
	}
	if len(e.JWKSURI) > MaxURLLength {
		return reject(RejectFormat)
	}
	latest := now.Add(maxSkew).UnixMilli()
	life := e.ExpiresAt - e.FetchedAt
	if e.FetchedAt <= 0 || e.FetchedAt > latest || life <= 0 || life > maxTTL.Milliseconds() ||
		e.FailedAt < 0 || e.FailedAt > latest {
		return reject(RejectBounds)
	}
	return nil
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// CheckSecrets checks store secrets as given to authz.WithStoreSecret.
func CheckSecrets(secrets [][]byte) error {
	if len(secrets) == 0 {
		return errors.New("no secret")
	}
	var errs []error
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			errs = append(errs, fmt.Errorf("secret %d is %d bytes, want at least %d", i, len(s), MinSecretLen))
		}
	}
	return errors.Join(errs...)
}

// Document is the content of a stored document, for tests and tools that
// write one the way a Validator does.
type Document struct {
	Issuer, Source                 string
	FetchedAt, ExpiresAt, FailedAt time.Time
	JWKSURI                        string
	JWKS                           []byte
}

// Seal encodes d as a Validator would store it under storeKey, signed with
// secret.
func Seal(secret []byte, storeKey string, d Document) ([]byte, error) {
	e := &envelope{
		V: envelopeV, Issuer: d.Issuer, Source: d.Source,
		FetchedAt: d.FetchedAt.UnixMilli(), ExpiresAt: d.ExpiresAt.UnixMilli(),
		JWKSURI: d.JWKSURI, JWKS: d.JWKS,
	}
	if !d.FailedAt.IsZero() {
		e.FailedAt = d.FailedAt.UnixMilli()
	}
	return seal(secret, storeKey, e)
}

func appendB64(dst, src []byte) []byte { return base64.RawURLEncoding.AppendEncode(dst, src) }
