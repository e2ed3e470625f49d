package authz

import (
	"github.com/jwtguard/jwtguard/internal/jws"
	"github.com/jwtguard/jwtguard/internal/keyring"
)

// keySet is one issuer's parsed keys with the times that govern them (see
// keyring.Set). It is immutable: the hot path loads it through an atomic
// pointer and reads it without locks.
type keySet = keyring.Set

// errNoUsableKeys is returned when a JWKS holds no key jwtguard can use.
var errNoUsableKeys = jws.ErrNoUsableKeys
