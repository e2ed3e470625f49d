package authz

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/jwtguard/jwtguard/internal/jws"
)

// headerMemo remembers the parsed JOSE headers of tokens accepted lately,
// keyed by the header's exact base64url text. Every token signed with one
// key by one issuer carries the same header, and reading a header is a pure
// function of its bytes, so a remembered header is what jws.ParseHeader
// would return again: Validate then neither decodes nor reads it.
//
// Only the header of a token whose signature verified is remembered, so
// forged tokens cannot fill the memo; it holds memoSlots headers, one per
// slot chosen by a seeded hash, the newest winning a slot.
type headerMemo struct {
	slots [memoSlots]atomic.Pointer[memoHeader]
}

const (
	memoSlots     = 16
	maxMemoHeader = 256 // base64url characters; longer headers are read every time
)

// memoHeader is one remembered header. Its strings are its own.
type memoHeader struct {
	b64 string
	h   jws.Header
}

var memoSeed = maphash.MakeSeed()

func memoSlot(h64 string) int { return int(maphash.String(memoSeed, h64) % memoSlots) }

// get returns the header remembered for h64, or nil.
func (m *headerMemo) get(h64 string) *memoHeader {
	if len(h64) > maxMemoHeader {
		return nil // never remembered: not worth hashing
	}
	if e := m.slots[memoSlot(h64)].Load(); e != nil && e.b64 == h64 {
		return e
	}
	return nil
}

// put remembers h, read from h64, unless the header is too long to be a
// usual one (a kid of a few hundred bytes is allowed, not remembered).
func (m *headerMemo) put(h64 string, h jws.Header) {
	if len(h64) > maxMemoHeader {
		return
	}
	h.AlgName, h.Kid, h.Typ = strings.Clone(h.AlgName), strings.Clone(h.Kid), strings.Clone(h.Typ)
	m.slots[memoSlot(h64)].Store(&memoHeader{b64: strings.Clone(h64), h: h})
}
