package strictjson

import (
	"encoding/json"
	"strconv"
)

// Value decodes doc, which must pass Valid, into the generic Go form:
// map[string]any for objects, []any for arrays, string, json.Number, bool or
// nil.
func Value(doc []byte) (any, error) {
	if err := Valid(doc); err != nil {
		return nil, err
	}
	return genericValue(doc, cap(doc), true)
}

// genericValue converts the valid raw value (leading whitespace allowed) to
// its generic Go form, with numbers as json.Number if number is set and as
// float64 otherwise (what encoding/json stores in an interface). base is the
// capacity of the whole document, for error offsets.
func genericValue(raw []byte, base int, number bool) (any, error) {
	raw = raw[skipWS(raw, 0):]
	switch Kind(raw) {
	case '{':
		m := make(map[string]any)
		it, _ := Object(raw)
		for {
			name, v, ok := it.Next()
			if !ok {
				break
			}
			x, err := genericValue(v, base, number)
			if err != nil {
				return nil, err
			}
			m[string(name)] = x
		}
		return m, it.Err()
	case '[':
		a := []any{}
		it, _ := Array(raw)
		for {
			v, ok := it.Next()
			if !ok {
				break
			}
			x, err := genericValue(v, base, number)
			if err != nil {
				return nil, err
			}
			a = append(a, x)
		}
		return a, it.Err()
	case '"':
		s, ok := Unquote(raw)
		if !ok {
			return nil, errAt(ErrSyntax, base-cap(raw))
		}
		return string(s), nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	case '0':
		end, ok := scanNumber(raw, 0)
		if !ok {
			return nil, errAt(ErrSyntax, base-cap(raw))
		}
		if number {
			return json.Number(raw[:end]), nil
		}
		f, err := strconv.ParseFloat(string(raw[:end]), 64)
		if err != nil {
			return nil, errAt(ErrType, base-cap(raw))
		}
		return f, nil
	}
	return nil, errAt(ErrSyntax, base-cap(raw))
}
