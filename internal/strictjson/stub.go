package strictjson

// TEMPORARY stand-in, replaced by the real package at merge.

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

const MaxDepth = 64

var (
	ErrSyntax      = errors.New("strictjson: invalid JSON")
	ErrInvalidUTF8 = errors.New("strictjson: invalid UTF-8")
	ErrDuplicate   = errors.New("strictjson: duplicate member name")
	ErrDepth       = errors.New("strictjson: nesting too deep")
	ErrType        = errors.New("strictjson: wrong JSON type")
)

type Error struct {
	Err    error
	Offset int64
	Member string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func Valid(doc []byte) error {
	if !json.Valid(doc) {
		return &Error{Err: ErrSyntax}
	}
	if !utf8.Valid(doc) {
		return &Error{Err: ErrInvalidUTF8}
	}
	return checkDup(bytes.TrimSpace(doc), 0)
}

func checkDup(v []byte, depth int) error {
	if depth > MaxDepth {
		return &Error{Err: ErrDepth}
	}
	switch Kind(v) {
	case '{':
		it, _ := Object(v)
		seen := map[string]bool{}
		for {
			n, val, ok := it.Next()
			if !ok {
				break
			}
			if seen[string(n)] {
				return &Error{Err: ErrDuplicate}
			}
			if !utf8.Valid(n) {
				return &Error{Err: ErrInvalidUTF8}
			}
			seen[string(n)] = true
			if err := checkDup(val, depth+1); err != nil {
				return err
			}
		}
	case '[':
		it, _ := Array(v)
		for {
			val, ok := it.Next()
			if !ok {
				break
			}
			if err := checkDup(val, depth+1); err != nil {
				return err
			}
		}
	case '"':
		s, ok := Unquote(v)
		if !ok || !utf8.Valid(s) {
			return &Error{Err: ErrInvalidUTF8}
		}
	}
	return nil
}

func Kind(v []byte) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	switch c := v[0]; c {
	case '"', '{', '[', 't', 'f', 'n':
		return c
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	}
	return 0
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// end returns the index just past the value starting at b[i].
func end(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k := end(b, j)
				if k < 0 {
					return -1
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		j++
	}
	return j
}

type ObjectIter struct {
	b   []byte
	i   int
	err error
}

func Object(obj []byte) (ObjectIter, error) {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ObjectIter{}, &Error{Err: ErrType}
	}
	return ObjectIter{b: obj, i: i + 1}, nil
}

func (it *ObjectIter) Next() (name, value []byte, ok bool) {
	b := it.b
	i := skipWS(b, it.i)
	if i >= len(b) || b[i] == '}' {
		it.i = len(b)
		return nil, nil, false
	}
	if b[i] == ',' {
		i = skipWS(b, i+1)
	}
	e := end(b, i)
	if e < 0 || b[i] != '"' {
		it.err, it.i = &Error{Err: ErrSyntax}, len(b)
		return nil, nil, false
	}
	name, ok = Unquote(b[i:e])
	if !ok {
		it.err, it.i = &Error{Err: ErrSyntax}, len(b)
		return nil, nil, false
	}
	i = skipWS(b, e)
	if i >= len(b) || b[i] != ':' {
		it.err, it.i = &Error{Err: ErrSyntax}, len(b)
		return nil, nil, false
	}
	i = skipWS(b, i+1)
	e = end(b, i)
	if e < 0 {
		it.err, it.i = &Error{Err: ErrSyntax}, len(b)
		return nil, nil, false
	}
	it.i = e
	return name, b[i:e], true
}

func (it *ObjectIter) Err() error { return it.err }

type ArrayIter struct {
	b   []byte
	i   int
	err error
}

func Array(arr []byte) (ArrayIter, error) {
	i := skipWS(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return ArrayIter{}, &Error{Err: ErrType}
	}
	return ArrayIter{b: arr, i: i + 1}, nil
}

func (it *ArrayIter) Next() (value []byte, ok bool) {
	b := it.b
	i := skipWS(b, it.i)
	if i >= len(b) || b[i] == ']' {
		it.i = len(b)
		return nil, false
	}
	if b[i] == ',' {
		i = skipWS(b, i+1)
	}
	e := end(b, i)
	if e < 0 {
		it.err, it.i = &Error{Err: ErrSyntax}, len(b)
		return nil, false
	}
	it.i = e
	return b[i:e], true
}

func (it *ArrayIter) Err() error { return it.err }

func Unquote(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

func Lookup(obj []byte, name string) ([]byte, bool) {
	it, err := Object(obj)
	if err != nil {
		return nil, false
	}
	for {
		n, v, ok := it.Next()
		if !ok {
			return nil, false
		}
		if string(n) == name {
			return v, true
		}
	}
}

func Value(doc []byte) (any, error) {
	if err := Valid(doc); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func Decode(doc []byte, v any) error {
	if err := Valid(doc); err != nil {
		return err
	}
	return json.Unmarshal(doc, v)
}
