// Package keyring holds one issuer's key lifecycle: its key set, its one
// in-flight fetch, the gate that decides when an unknown kid may cause a
// refresh (cooldown, back-off) on an injected clock, and the coordination
// with other replicas through a shared, untrusted store.
//
// A Ring is the state machine, go-oidc's remoteKeySet in spirit: one
// in-flight fetch per key set, an injected now for every time decision,
// state owned by one type. A Store wraps the keystore.Store the rings of a
// Validator share: it signs and checks every document (see Seal and Open),
// bounds what it adopts, and coordinates fetches through the store's locks
// when it has them (the fleet coordinator) or not at all (solo).
// Flights counts the fetches in flight so that closing waits for them.
package keyring
