package authztest

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
)

// DPoPKey is a client's DPoP key (RFC 9449): it signs proofs, and tokens
// bound to it carry its thumbprint in cnf.jkt.
type DPoPKey struct {
	alg    string
	signer crypto.Signer
}

// NewDPoPKey makes a DPoP key for alg (ES256 is what most clients use).
func NewDPoPKey(alg string) (*DPoPKey, error) {
	s, err := generate(alg)
	if err != nil {
		return nil, err
	}
	return &DPoPKey{alg: alg, signer: s}, nil
}

// Thumbprint is the key's RFC 7638 thumbprint: put it in a token's
// cnf.jkt (see Confirmation).
func (k *DPoPKey) Thumbprint() string {
	key, err := jws.NewKey("", jws.AlgInvalid, k.signer.Public())
	if err != nil {
		return ""
	}
	return key.Thumbprint()
}

// Confirmation returns the cnf claim binding a token to the key:
//
//	claims["cnf"] = key.Confirmation()
func (k *DPoPKey) Confirmation() map[string]any { return map[string]any{"jkt": k.Thumbprint()} }

// ProofOption changes a proof.
type ProofOption func(header, claims map[string]any)

// WithProofNonce adds the server's nonce (RFC 9449 §8).
func WithProofNonce(nonce string) ProofOption {
	return func(_, c map[string]any) { c["nonce"] = nonce }
}

// WithProofTime sets iat.
func WithProofTime(t time.Time) ProofOption {
	return func(_, c map[string]any) { c["iat"] = t.Unix() }
}

// WithProofClaim sets (or, with a nil value, deletes) a proof claim, for
// attack tests.
func WithProofClaim(name string, value any) ProofOption {
	return func(_, c map[string]any) {
		if value == nil {
			delete(c, name)
		} else {
			c[name] = value
		}
	}
}

// WithProofHeader sets (or, with a nil value, deletes) a header parameter.
func WithProofHeader(name string, value any) ProofOption {
	return func(h, _ map[string]any) {
		if value == nil {
			delete(h, name)
		} else {
			h[name] = value
		}
	}
}

// Proof makes a DPoP proof (RFC 9449 §4.2) for a request with method and
// uri, bound to token (ath): typ dpop+jwt, the public jwk in the header,
// a fresh jti, iat now.
func (k *DPoPKey) Proof(method, uri, token string, opts ...ProofOption) (string, error) {
	ath := sha256.Sum256([]byte(token))
	h := map[string]any{"typ": "dpop+jwt", "alg": k.alg, "jwk": PublicJWK(k.signer.Public(), "", "")}
	delete(h["jwk"].(map[string]string), "use")
	c := map[string]any{
		"jti": rand.Text(),
		"htm": method,
		"htu": uri,
		"iat": time.Now().Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(ath[:]),
	}
	if token == "" {
		delete(c, "ath")
	}
	for _, o := range opts {
		o(h, c)
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	pb, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(pb)
	sig, err := signRaw(k.alg, k.signer, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// CertConfirmation returns the cnf claim binding a token to a TLS client
// certificate (RFC 8705 §3.1: x5t#S256).
func CertConfirmation(cert *x509.Certificate) map[string]any {
	sum := sha256.Sum256(cert.Raw)
	return map[string]any{"x5t#S256": base64.RawURLEncoding.EncodeToString(sum[:])}
}
