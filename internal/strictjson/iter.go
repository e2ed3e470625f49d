package strictjson

import "bytes"

// ObjectIter walks the members of one JSON object. It is meant for bytes
// Valid accepted and does not validate them again, but it never panics or
// loops on malformed input: it stops, and Err reports ErrSyntax.
type ObjectIter struct {
	b     []byte
	i     int
	first bool
	done  bool
	err   error
}

// Object returns an iterator over the members of the object obj (leading
// whitespace allowed). It fails with ErrType if obj is not an object.
func Object(obj []byte) (ObjectIter, error) {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ObjectIter{done: true}, errAt(ErrType, i)
	}
	return ObjectIter{b: obj, i: i + 1, first: true}, nil
}

// Next returns the next member: its name, unescaped (a sub-slice of the
// object when the name has no escape, a new slice otherwise), and its raw
// value, without surrounding whitespace. ok is false at the end of the object
// or on malformed input (see Err).
func (it *ObjectIter) Next() (name, value []byte, ok bool) {
	raw, value, ok := it.nextRaw()
	if !ok || bytes.IndexByte(raw, '\\') < 0 {
		return raw, value, ok
	}
	name, ok = appendUnescaped(make([]byte, 0, len(raw)), raw)
	if !ok {
		it.fail(it.i)
		return nil, nil, false
	}
	return name, value, true
}

// Err returns nil, or an error matching ErrSyntax if the iteration stopped
// at malformed input.
func (it *ObjectIter) Err() error {
	return it.err
}

func (it *ObjectIter) fail(i int) {
	it.done = true
	it.err = errAt(ErrSyntax, i)
}

// nextRaw is Next with the name's raw bytes between its quotes.
func (it *ObjectIter) nextRaw() (name, value []byte, ok bool) {
	if it.done {
		return nil, nil, false
	}
	b := it.b
	i := skipWS(b, it.i)
	switch {
	case i < len(b) && b[i] == '}':
		it.done = true
		return nil, nil, false
	case it.first:
	case i < len(b) && b[i] == ',':
		i = skipWS(b, i+1)
	default:
		it.fail(i)
		return nil, nil, false
	}
	it.first = false
	if i >= len(b) || b[i] != '"' {
		it.fail(i)
		return nil, nil, false
	}
	end := skipString(b, i)
	if end < 0 {
		it.fail(i)
		return nil, nil, false
	}
	name = b[i+1 : end-1]
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		it.fail(i)
		return nil, nil, false
	}
	i = skipWS(b, i+1)
	vend := skipValue(b, i)
	if vend < 0 {
		it.fail(i)
		return nil, nil, false
	}
	it.i = vend
	return name, b[i:vend], true
}

// nextMember is nextRaw as a Member of the iterated document (at most
// 2 GiB), for ValidObject.
func (it *ObjectIter) nextMember() (Member, bool) {
	name, v, ok := it.nextRaw()
	if !ok {
		return Member{}, false
	}
	// name and v are sub-slices of it.b: their offsets follow from the
	// capacity that remains after them.
	ns, vs := cap(it.b)-cap(name), cap(it.b)-cap(v)
	return Member{
		nameStart: int32(ns), nameEnd: int32(ns + len(name)),
		valStart: int32(vs), valEnd: int32(vs + len(v)),
		plainName:  bytes.IndexByte(name, '\\') < 0,
		plainValue: v[0] == '"' && bytes.IndexByte(v, '\\') < 0,
	}, true
}

// ArrayIter walks the elements of one JSON array, with the same guarantees
// as ObjectIter.
type ArrayIter struct {
	b     []byte
	i     int
	first bool
	done  bool
	err   error
}

// Array returns an iterator over the elements of the array arr (leading
// whitespace allowed). It fails with ErrType if arr is not an array.
func Array(arr []byte) (ArrayIter, error) {
	i := skipWS(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return ArrayIter{done: true}, errAt(ErrType, i)
	}
	return ArrayIter{b: arr, i: i + 1, first: true}, nil
}

// Next returns the raw bytes of the next element, without surrounding
// whitespace. ok is false at the end of the array or on malformed input
// (see Err).
func (it *ArrayIter) Next() (value []byte, ok bool) {
	if it.done {
		return nil, false
	}
	b := it.b
	i := skipWS(b, it.i)
	switch {
	case i < len(b) && b[i] == ']':
		it.done = true
		return nil, false
	case it.first:
	case i < len(b) && b[i] == ',':
		i = skipWS(b, i+1)
	default:
		it.fail(i)
		return nil, false
	}
	it.first = false
	end := skipValue(b, i)
	if end < 0 {
		it.fail(i)
		return nil, false
	}
	it.i = end
	return b[i:end], true
}

// Err returns nil, or an error matching ErrSyntax if the iteration stopped
// at malformed input.
func (it *ArrayIter) Err() error {
	return it.err
}

func (it *ArrayIter) fail(i int) {
	it.done = true
	it.err = errAt(ErrSyntax, i)
}

// skipString returns the index after the string literal whose opening quote
// is at b[i], or -1 if it is not terminated. It does not validate.
func skipString(b []byte, i int) int {
	start := i + 1
	for i = start; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		// The quote ends the string unless an odd number of backslashes
		// escapes it. Each run of backslashes is counted once.
		k := i
		for k > start && b[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i + 1
		}
	}
}

// skipValue returns the index after the value starting at b[i], or -1 if
// there is none. It only matches brackets and strings; it does not validate.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := skipString(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	case '}', ']', ',', ':':
		return -1
	}
	j := i
	for j < len(b) {
		switch c := b[j]; c {
		case ',', ']', '}', ':', '"', '{', '[', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// Kind returns the JSON type of the raw value (leading whitespace allowed)
// by its first byte: '"' string, '{' object, '[' array, 't' true, 'f' false,
// 'n' null, '0' number, or 0 if value is empty or starts with anything else.
// It does not validate the rest of the value.
func Kind(value []byte) byte {
	i := skipWS(value, 0)
	if i >= len(value) {
		return 0
	}
	switch c := value[i]; c {
	case '"', '{', '[', 't', 'f', 'n':
		return c
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	}
	return 0
}

// Unquote returns the contents of the raw string value (surrounding
// whitespace allowed): a sub-slice of value when the string has no escape,
// else a newly allocated unescaped copy. ok is false if value is not exactly
// one valid string literal, including strings that are not valid UTF-8.
func Unquote(value []byte) (s []byte, ok bool) {
	i := skipWS(value, 0)
	j := len(value)
	for j > i && isWS(value[j-1]) {
		j--
	}
	if i >= j || value[i] != '"' {
		return nil, false
	}
	end, ulen, err := scanString(value[:j], i)
	if err != nil || end != j {
		return nil, false
	}
	raw := value[i+1 : j-1]
	if ulen == len(raw) {
		return raw, true
	}
	s, ok = appendUnescaped(make([]byte, 0, ulen), raw)
	return s, ok
}

// Lookup returns the raw value of the member named exactly name (compared
// after unescaping) in the object obj, without allocating. ok is false if obj
// is not an object or has no such member. If obj has several, Lookup returns
// the first; Valid rejects such objects.
func Lookup(obj []byte, name string) (value []byte, ok bool) {
	it, err := Object(obj)
	if err != nil {
		return nil, false
	}
	for {
		raw, v, ok := it.nextRaw()
		if !ok {
			return nil, false
		}
		if bytes.IndexByte(raw, '\\') < 0 {
			if string(raw) == name {
				return v, true
			}
		} else if len(raw) > len(name) && equalToPlain(raw, name) {
			return v, true
		}
	}
}
