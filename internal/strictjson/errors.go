package strictjson

import (
	"errors"
	"strconv"
)

// MaxDepth bounds the nesting of objects and arrays: a document whose values
// nest deeper than MaxDepth (for example 65 '[' in a row) is rejected with
// [ErrDepth].
const MaxDepth = 64

// The sentinels. Every error this package returns matches exactly one of
// them with [errors.Is].
var (
	// ErrSyntax reports a document outside the RFC 8259 grammar, including
	// empty input and data after the value.
	ErrSyntax = errors.New("strictjson: invalid JSON")
	// ErrInvalidUTF8 reports a string that is not valid UTF-8, either in its
	// raw bytes or through a \u escape of a lone surrogate.
	ErrInvalidUTF8 = errors.New("strictjson: invalid UTF-8")
	// ErrDuplicate reports an object with two members of the same name.
	ErrDuplicate = errors.New("strictjson: duplicate member name")
	// ErrDepth reports nesting deeper than MaxDepth.
	ErrDepth = errors.New("strictjson: nesting too deep")
	// ErrType reports a JSON value of the wrong type for where it is read
	// or decoded into (including numbers out of range for an integer field).
	ErrType = errors.New("strictjson: wrong JSON type")
)

// Error is the error type of this package. It deliberately carries no bytes
// of the document: member names and values are attacker-controlled and must
// never reach logs through an error message.
type Error struct {
	// Err is one of the sentinels (ErrSyntax, ErrInvalidUTF8, ErrDuplicate,
	// ErrDepth, ErrType).
	Err error
	// Offset is the byte offset in the document where the problem was found.
	Offset int64
	// Member is, for type errors from Decode, the Go-side path of the member
	// that did not fit: struct field JSON names joined with dots, such as
	// "tenants.roles". It never holds names taken from the document (map
	// keys, unknown members).
	Member string
}

// Error returns the sentinel's message with the offset and, if set, the
// Go-side member path.
func (e *Error) Error() string {
	s := e.Err.Error() + " at offset " + strconv.FormatInt(e.Offset, 10)
	if e.Member != "" {
		s += " (member " + strconv.Quote(e.Member) + ")"
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func errAt(sentinel error, off int) *Error {
	return &Error{Err: sentinel, Offset: int64(off)}
}
