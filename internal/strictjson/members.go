package strictjson

import (
	"bytes"
	"math"
)

// Member locates one member of the object ValidObject read, by offsets
// into that document: the methods take the document, and their results
// are sub-slices of it.
type Member struct {
	nameStart, nameEnd int32 // the raw bytes between the name's quotes
	valStart, valEnd   int32 // the raw value, without surrounding whitespace
	plainName          bool  // the name has no escape
	plainValue         bool  // the value is a string literal without escapes
}

// Name returns the raw bytes between the name's quotes (escapes not
// undone); compare it with Is.
func (m *Member) Name(doc []byte) []byte { return doc[m.nameStart:m.nameEnd:m.nameEnd] }

// Value returns the raw value, without surrounding whitespace.
func (m *Member) Value(doc []byte) []byte { return doc[m.valStart:m.valEnd:m.valEnd] }

// Is reports whether the member's name is exactly name, compared byte for
// byte after unescaping ("a\u0062" is "ab"), without allocating.
func (m *Member) Is(doc []byte, name string) bool {
	if m.plainName {
		return string(doc[m.nameStart:m.nameEnd]) == name
	}
	return m.isEscaped(doc, name)
}

func (m *Member) isEscaped(doc []byte, name string) bool {
	raw := m.Name(doc)
	return len(raw) > len(name) && equalToPlain(raw, name)
}

// Key returns the member's name unescaped: the raw bytes when the name has
// no escape, else a new slice.
func (m *Member) Key(doc []byte) []byte {
	raw := m.Name(doc)
	if m.plainName {
		return raw
	}
	k, _ := appendUnescaped(make([]byte, 0, len(raw)), raw) // Valid checked it
	return k
}

// String returns the string the member's value holds and true, or false
// when the value is not a string. A string without escapes is returned in
// place (the document must then never be modified); one with escapes is
// unescaped into a new slice.
func (m *Member) String(doc []byte) ([]byte, bool) {
	v := m.Value(doc)
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	if m.plainValue {
		return v[1 : len(v)-1 : len(v)-1], true
	}
	return Unquote(v)
}

// ValidString is Unquote for a value taken from a document Valid accepted
// (by an iterator, Lookup or a Member): a string literal without escapes is
// returned in place without being scanned again, since its bytes were
// checked already; anything else goes through Unquote. On bytes that were
// never validated it may accept what Unquote refuses: use Unquote there.
func ValidString(value []byte) ([]byte, bool) {
	if n := len(value); n >= 2 && value[0] == '"' && value[n-1] == '"' {
		if raw := value[1 : n-1 : n-1]; bytes.IndexByte(raw, '\\') < 0 {
			return raw, true
		}
	}
	if Kind(value) != '"' {
		return nil, false
	}
	return Unquote(value)
}

// ValidObject is Valid for a document that must be one JSON object: in the
// same single pass it appends the object's members, in document order, to
// dst and returns it. Nested objects and arrays are validated alike but
// reported only as the raw values of their members. A document that is
// valid JSON but not an object fails with ErrType, and so does one over
// 2 GiB; on any error the returned slice is dst.
//
// It allocates only what Valid does, and when the object has more members
// than dst has room for.
func ValidObject(doc []byte, dst []Member) ([]Member, error) {
	if Kind(doc) != '{' || len(doc) > math.MaxInt32 {
		if err := Valid(doc); err != nil {
			return dst, err
		}
		return dst, errAt(ErrType, skipWS(doc, 0))
	}
	start := len(dst)
	s := scanner{doc: doc, collect: true}
	if err := s.run(dst[start:cap(dst)]); err != nil {
		return dst, err
	}
	if start+s.nmem <= cap(dst) {
		return dst[:start+s.nmem], nil
	}
	// More members than room: the document is valid, walk it again.
	out := dst[:start]
	it, _ := Object(doc)
	for {
		m, ok := it.nextMember()
		if !ok {
			return out, nil
		}
		out = append(out, m)
	}
}
