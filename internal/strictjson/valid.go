package strictjson

import (
	"bytes"
	"hash/maphash"
	"math"
	"unicode/utf8"
)

const (
	// smallObject is the number of members an object may have before its
	// names move from the fixed slot stack into a map.
	smallObject = 32
	// numSlots is the size of the fixed slot stack shared by all open
	// objects: two levels of fully used small objects (a token's claims
	// with a nested object, a JWK Set's keys), small because Valid zeroes
	// it on every call. An object that does
	// not fit falls back to a map; the result is the same, it only allocates.
	numSlots = 2 * smallObject
)

// slot records one member name of an open object: where the raw bytes
// between its quotes start, how many there are, and the length of its
// unescaped form (shorter than the raw length exactly when the name contains
// an escape, since every escape shrinks). Names longer than 65535 bytes and
// documents over 2 GiB do not fit; their objects use map mode.
type slot struct {
	start     int32
	len, ulen uint16
	tag       uint32 // nameTag of a name without escapes, else 0
}

// nameTag is a cheap fingerprint of a name without escapes: its first,
// middle and last bytes, with a bit that makes it non-zero. Two such names
// with different tags differ; equal tags say nothing, and an escaped name
// (tag 0) is always compared in full.
func nameTag(name []byte) uint32 {
	if len(name) == 0 {
		return 1 << 24
	}
	return 1<<24 | uint32(name[0]) | uint32(name[len(name)/2])<<8 | uint32(name[len(name)-1])<<16
}

// span is a slot with full-width offsets, for documents of any size.
type span struct {
	start, end, ulen int
}

func (o slot) span() span { return span{int(o.start), int(o.start) + int(o.len), int(o.ulen)} }

// frame is one open object or array. Whether it is an object is a bit in
// scanner.objects, and an object in map mode has its names in scanner.big:
// the frames stay small, since Valid zeroes them on every call.
type frame struct {
	base int32 // first slot of this object's names
	n    int32 // names in slots (slot mode)
}

// bigObject holds the names of an object that outgrew the slots. Names are
// found by a 64-bit hash of their unescaped bytes, seeded per process so
// that an attacker cannot choose colliding names; a hash match is confirmed
// by comparing the names, and the (astronomically rare) names whose hash
// matches a different name are kept in a map of their own.
type bigObject struct {
	first    map[uint64]int      // hash -> start of the first name with it
	collided map[string]struct{} // other names with an already seen hash
}

var hashSeed = maphash.MakeSeed()

// hashName hashes an unescaped member name. Tests replace it to force
// collisions.
var hashName = func(name []byte) uint64 { return maphash.Bytes(hashSeed, name) }

// scanner is the state of one Valid call. It lives on the caller's stack.
type scanner struct {
	doc     []byte
	depth   int
	nslots  int
	objects uint64 // bit d is set if frame d is an object
	frames  [MaxDepth]frame
	slots   [numSlots]slot
	big     *[MaxDepth]*bigObject // names of objects in map mode, by depth
	buf     []byte                // scratch for unescaping names in map mode

	// For ValidObject: the top-level members, collected as they are
	// scanned (collect set), the member whose value is being scanned, and
	// whether the last string scanned had no escape.
	collect  bool
	nmem     int // members found (more than the room given: overflow)
	cur      Member
	strPlain bool
}

// scanner.objects has a bit per level: MaxDepth must not exceed 64.
var _ [64 - MaxDepth]struct{}

// Valid reports whether doc is one strict JSON value; see the package
// documentation for what strict means. It returns nil or an [*Error] whose
// Err is ErrSyntax, ErrInvalidUTF8, ErrDuplicate or ErrDepth.
//
// Valid does not allocate for documents whose objects have at most 32
// members each (escaped names included) and whose open objects never hold
// more than 64 names at once (two levels of such objects nested in one
// another, or more levels of smaller ones). An object beyond that keeps its
// names in a map
// keyed by a per-process seeded hash of the unescaped name, so the check
// stays linear in the size of the document however wide its objects are.
func Valid(doc []byte) error {
	var s scanner
	s.doc = doc
	if err := s.run(nil); err != nil {
		return err
	}
	return nil
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// run scans s.doc. When s.collect is set, the members of the top-level
// object are written to members, as many as fit, and counted in s.nmem;
// only integers are written (the room never escapes with the scanner).
func (s *scanner) run(members []Member) *Error {
	doc := s.doc
	n := len(doc)
	i := skipWS(doc, 0)
	for {
		// A value starts at i (possibly after whitespace).
		i = skipWS(doc, i)
		if i >= n {
			return errAt(ErrSyntax, i)
		}
		switch c := doc[i]; c {
		case '{', '[':
			if s.depth == MaxDepth {
				return errAt(ErrDepth, i)
			}
			s.frames[s.depth] = frame{base: int32(s.nslots)}
			s.objects &^= 1 << s.depth
			if c == '{' {
				s.objects |= 1 << s.depth
			}
			s.depth++
			i = skipWS(doc, i+1)
			if i < n && (c == '{' && doc[i] == '}' || c == '[' && doc[i] == ']') {
				s.pop()
				i++
				break
			}
			if c == '{' {
				var err *Error
				if i, err = s.member(i); err != nil {
					return err
				}
			}
			continue
		case '"':
			end, ulen, err := scanString(doc, i)
			if err != nil {
				return err
			}
			s.strPlain = ulen == end-i-2
			i = end
		case 't':
			if !bytes.HasPrefix(doc[i:], []byte("true")) {
				return errAt(ErrSyntax, i)
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(doc[i:], []byte("false")) {
				return errAt(ErrSyntax, i)
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(doc[i:], []byte("null")) {
				return errAt(ErrSyntax, i)
			}
			i += 4
		default:
			end, ok := scanNumber(doc, i)
			if !ok {
				return errAt(ErrSyntax, i)
			}
			i = end
		}
		// A value ended at i: close containers or find the next value.
		for {
			if s.collect && s.depth == 1 {
				// The value of a top-level member ended (a scalar, or
				// the container just closed).
				s.cur.valEnd = int32(i)
				s.cur.plainValue = s.strPlain && doc[s.cur.valStart] == '"'
				if s.nmem < len(members) {
					members[s.nmem] = s.cur
				}
				s.nmem++
			}
			i = skipWS(doc, i)
			if s.depth == 0 {
				if i != n {
					return errAt(ErrSyntax, i)
				}
				return nil
			}
			if i >= n {
				return errAt(ErrSyntax, i)
			}
			obj := s.objects>>(s.depth-1)&1 == 1
			c := doc[i]
			if c == ',' {
				i++
				if obj {
					var err *Error
					if i, err = s.member(skipWS(doc, i)); err != nil {
						return err
					}
				}
				break
			}
			if obj && c == '}' || !obj && c == ']' {
				s.pop()
				i++
				continue
			}
			return errAt(ErrSyntax, i)
		}
	}
}

// pop closes the innermost container, releasing its slots.
func (s *scanner) pop() {
	s.depth--
	s.nslots = int(s.frames[s.depth].base)
	if s.big != nil {
		s.big[s.depth] = nil
	}
}

// member scans a member name at i, records it in the innermost object and
// scans the following colon. It returns the index after the colon.
func (s *scanner) member(i int) (int, *Error) {
	doc := s.doc
	if i >= len(doc) || doc[i] != '"' {
		return 0, errAt(ErrSyntax, i)
	}
	end, ulen, err := scanString(doc, i)
	if err != nil {
		return 0, err
	}
	if err := s.record(i+1, end-1, ulen); err != nil {
		return 0, err
	}
	if s.collect && s.depth == 1 {
		s.cur = Member{nameStart: int32(i + 1), nameEnd: int32(end - 1), plainName: ulen == end-i-2}
	}
	i = skipWS(doc, end)
	if i >= len(doc) || doc[i] != ':' {
		return 0, errAt(ErrSyntax, i)
	}
	if s.collect && s.depth == 1 {
		s.cur.valStart = int32(skipWS(doc, i+1))
		s.strPlain = false
	}
	return i + 1, nil
}

// record adds the name doc[start:end] (ulen bytes unescaped) to the innermost
// object, failing on a duplicate.
func (s *scanner) record(start, end, ulen int) *Error {
	f := &s.frames[s.depth-1]
	doc := s.doc
	name := span{start, end, ulen}
	var big *bigObject
	if s.big != nil {
		big = s.big[s.depth-1]
	}
	if big == nil {
		if f.n < smallObject && s.nslots < numSlots && len(doc) <= math.MaxInt32 && end-start <= math.MaxUint16 {
			var tag uint32
			if ulen == end-start {
				tag = nameTag(doc[start:end])
			}
			for _, o := range s.slots[f.base : f.base+f.n] {
				if int(o.ulen) == ulen && (o.tag == tag || o.tag == 0 || tag == 0) && s.equal(name, o.span()) {
					return errAt(ErrDuplicate, start-1)
				}
			}
			s.slots[s.nslots] = slot{int32(start), uint16(end - start), uint16(ulen), tag}
			s.nslots++
			f.n++
			return nil
		}
		// Move to map mode. This object's slots are the top of the slot
		// stack: no deeper object is open while a name is recorded.
		if s.big == nil {
			s.big = new([MaxDepth]*bigObject)
		}
		big = &bigObject{first: make(map[uint64]int, 4*smallObject)}
		s.big[s.depth-1] = big
		for _, o := range s.slots[f.base : f.base+f.n] {
			s.addBig(big, o.span())
		}
		s.nslots = int(f.base)
		f.n = 0
	}
	if !s.addBig(big, name) {
		return errAt(ErrDuplicate, start-1)
	}
	return nil
}

// addBig adds name to b unless b already holds an equal name.
func (s *scanner) addBig(b *bigObject, name span) bool {
	key := s.doc[name.start:name.end]
	if name.ulen != len(key) {
		s.buf, _ = appendUnescaped(s.buf[:0], key)
		key = s.buf
	}
	h := hashName(key)
	start, seen := b.first[h]
	if !seen {
		b.first[h] = name.start
		return true
	}
	// Rescan the earlier name from its start to compare it.
	end, ulen, _ := scanString(s.doc, start-1)
	if s.equal(name, span{start, end - 1, ulen}) {
		return false
	}
	if _, dup := b.collided[string(key)]; dup {
		return false
	}
	if b.collided == nil {
		b.collided = make(map[string]struct{})
	}
	b.collided[string(key)] = struct{}{}
	return true
}

// equal reports whether two recorded names are equal after unescaping.
func (s *scanner) equal(a, b span) bool {
	if a.ulen != b.ulen {
		return false
	}
	ra, rb := s.doc[a.start:a.end], s.doc[b.start:b.end]
	if a.ulen == len(ra) && b.ulen == len(rb) {
		return bytes.Equal(ra, rb)
	}
	return equalUnescaped(ra, rb)
}

// scanString scans the string literal starting with the quote at doc[i]. It
// returns the index after the closing quote and the length of the unescaped
// contents.
func scanString(doc []byte, i int) (end, ulen int, err *Error) {
	n := len(doc)
	i++
	start := i
	shrink := 0 // bytes by which escapes shrink the contents
	for {
		// Fast path: printable ASCII, by table, four bytes at a time.
		for i+4 <= n && plainChar[doc[i]]&plainChar[doc[i+1]]&plainChar[doc[i+2]]&plainChar[doc[i+3]] != 0 {
			i += 4
		}
		for i < n && plainChar[doc[i]] != 0 {
			i++
		}
		if i >= n {
			return 0, 0, errAt(ErrSyntax, i)
		}
		switch c := doc[i]; {
		case c == '"':
			return i + 1, i - start - shrink, nil
		case c < 0x20:
			return 0, 0, errAt(ErrSyntax, i)
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, 0, errAt(ErrInvalidUTF8, i)
			}
			i += size
		default: // backslash
			if i+1 >= n {
				return 0, 0, errAt(ErrSyntax, i)
			}
			switch doc[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
				shrink++
			case 'u':
				r, ok := hex4(doc, i+2)
				if !ok {
					return 0, 0, errAt(ErrSyntax, i)
				}
				size := 6
				switch {
				case r >= 0xDC00 && r <= 0xDFFF:
					return 0, 0, errAt(ErrInvalidUTF8, i)
				case r >= 0xD800 && r <= 0xDBFF:
					if i+7 >= n || doc[i+6] != '\\' || doc[i+7] != 'u' {
						return 0, 0, errAt(ErrInvalidUTF8, i)
					}
					lo, ok := hex4(doc, i+8)
					if !ok {
						return 0, 0, errAt(ErrSyntax, i+6)
					}
					if lo < 0xDC00 || lo > 0xDFFF {
						return 0, 0, errAt(ErrInvalidUTF8, i)
					}
					size = 12
					r = 0x10000 // any supplementary rune: 4 bytes
				}
				i += size
				shrink += size - utf8.RuneLen(r)
			default:
				return 0, 0, errAt(ErrSyntax, i)
			}
		}
	}
}

// plainChar is 1 for the bytes a string literal holds as they are:
// printable ASCII but the quote and the backslash.
var plainChar = func() (t [256]byte) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		if c != '"' && c != '\\' {
			t[c] = 1
		}
	}
	return t
}()

// hex4 decodes the four hex digits at doc[i:i+4].
func hex4[S ~[]byte | ~string](doc S, i int) (rune, bool) {
	if i+4 > len(doc) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := doc[k]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// scanNumber scans the number starting at doc[i] in the strict RFC 8259
// grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(doc []byte, i int) (int, bool) {
	n := len(doc)
	if i < n && doc[i] == '-' {
		i++
	}
	switch {
	case i >= n:
		return 0, false
	case doc[i] == '0':
		i++
	case '1' <= doc[i] && doc[i] <= '9':
		i = digits(doc, i+1)
	default:
		return 0, false
	}
	if i < n && doc[i] == '.' {
		j := digits(doc, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < n && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < n && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		j := digits(doc, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(doc []byte, i int) int {
	for i < len(doc) && '0' <= doc[i] && doc[i] <= '9' {
		i++
	}
	return i
}
