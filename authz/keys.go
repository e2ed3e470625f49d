package authz

import (
	"time"

	"github.com/jwtguard/jwtguard/internal/jws"
)

// keySet is one issuer's parsed keys with the times that govern them. It
// is immutable: the hot path loads it through an atomic pointer and reads
// it without locks.
type keySet struct {
	set       *jws.KeySet
	raw       []byte
	fetchedAt time.Time
	expiresAt time.Time // fresh until
	refreshAt time.Time // background refresh due
}

// errNoUsableKeys is returned when a JWKS holds no key jwtguard can use.
var errNoUsableKeys = jws.ErrNoUsableKeys

// parseJWKS parses a JWK Set (see jws.ParseJWKS).
func parseJWKS(data []byte) (*keySet, error) {
	s, err := jws.ParseJWKS(data)
	if err != nil {
		return nil, err
	}
	return &keySet{set: s, raw: data}, nil
}

func (s *keySet) find(kid string, alg string) *jws.Key { return s.set.Find(kid, jws.ParseAlg(alg)) }
func (s *keySet) hasKid(kid string) bool               { return s.set.HasKid(kid) }
func (s *keySet) len() int                             { return s.set.Len() }
