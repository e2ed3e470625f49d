package strictjson

import (
	"cmp"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// Decode decodes doc, which must pass Valid, into v, a non-nil pointer. It
// follows encoding/json.Unmarshal except where that is lenient:
//
//   - A struct field receives only the member whose name equals its JSON
//     name exactly: the json tag's name, else the Go field name. There is no
//     case folding. Fields tagged `json:"-"` and unexported fields are
//     skipped; embedded structs are promoted by encoding/json's rules; the
//     ",string" option is honoured for bool, number and string fields.
//     Members without a field are ignored.
//   - A value of the wrong JSON type fails the whole call with an *Error
//     whose Err is ErrType and whose Member is the path of Go-side JSON
//     names leading to it, such as "tenants.roles". So does a number that is
//     not integral or out of range for an integer field, a float out of
//     range, invalid base64 for a []byte, and any error returned by a
//     json.Unmarshaler or encoding.TextUnmarshaler (whose text is dropped,
//     since it may quote the document).
//
// Numbers decode into integer and float kinds and json.Number; an interface
// value gets what encoding/json would store (float64, string, bool, nil,
// map[string]any, []any). Maps need string, integer or
// encoding.TextUnmarshaler keys. A type implementing json.Unmarshaler gets
// the member's raw bytes; one implementing encoding.TextUnmarshaler (such as
// time.Time) gets the contents of a JSON string. A JSON null sets pointers,
// maps, slices and interfaces to nil and leaves other values unchanged.
//
// Decode may have filled parts of v when it fails.
func Decode(doc []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Err: ErrType}
	}
	if err := Valid(doc); err != nil {
		return err
	}
	d := decoder{base: cap(doc)}
	end := len(doc)
	for isWS(doc[end-1]) {
		end--
	}
	if err := d.value(doc[skipWS(doc, 0):end], rv.Elem()); err != nil {
		return err
	}
	return nil
}

// decoder decodes validated values. base is the capacity of the document:
// every raw value is a sub-slice of it, so base-cap(raw) is raw's offset.
type decoder struct {
	base int
}

func (d *decoder) typeErr(raw []byte) *Error {
	return &Error{Err: ErrType, Offset: int64(d.base - cap(raw))}
}

// value decodes the valid raw value (no surrounding whitespace) into v.
func (d *decoder) value(raw []byte, v reflect.Value) *Error {
	null := raw[0] == 'n'
	u, tu, v := indirect(v, null)
	if u != nil {
		if u.UnmarshalJSON(raw) != nil {
			return d.typeErr(raw)
		}
		return nil
	}
	if tu != nil {
		switch raw[0] {
		case '"':
			s, _ := Unquote(raw)
			if tu.UnmarshalText(s) != nil {
				return d.typeErr(raw)
			}
			return nil
		case 'n':
			return nil
		}
		return d.typeErr(raw)
	}
	if null {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return d.typeErr(raw)
		}
		x, err := genericValue(raw, d.base, false)
		if err != nil {
			return err.(*Error)
		}
		v.Set(reflect.ValueOf(x))
		return nil
	case reflect.Struct:
		return d.object(raw, v)
	case reflect.Map:
		return d.mapValue(raw, v)
	case reflect.Slice:
		return d.slice(raw, v)
	case reflect.Array:
		return d.array(raw, v)
	case reflect.String:
		switch Kind(raw) {
		case '"':
			s, _ := Unquote(raw)
			if v.Type() == numberType {
				if end, ok := scanNumber(s, 0); !ok || end != len(s) {
					return d.typeErr(raw)
				}
			}
			v.SetString(string(s))
			return nil
		case '0':
			if v.Type() == numberType {
				v.SetString(string(raw))
				return nil
			}
		}
		return d.typeErr(raw)
	case reflect.Bool:
		switch raw[0] {
		case 't':
			v.SetBool(true)
			return nil
		case 'f':
			v.SetBool(false)
			return nil
		}
		return d.typeErr(raw)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := parseInt(raw, v.Type().Bits())
		if !ok {
			return d.typeErr(raw)
		}
		v.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := parseUint(raw, v.Type().Bits())
		if !ok {
			return d.typeErr(raw)
		}
		v.SetUint(n)
		return nil
	case reflect.Float32, reflect.Float64:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return d.typeErr(raw)
		}
		f, err := strconv.ParseFloat(string(raw), v.Type().Bits())
		if err != nil {
			return d.typeErr(raw)
		}
		v.SetFloat(f)
		return nil
	}
	return d.typeErr(raw)
}

// indirect walks v through pointers, allocating nil ones, until it reaches
// a non-pointer or a value implementing json.Unmarshaler or (unless decoding
// null) encoding.TextUnmarshaler. For null it stops at the last settable
// pointer, so that the caller can set it to nil. This mirrors encoding/json.
func indirect(v reflect.Value, null bool) (json.Unmarshaler, encoding.TextUnmarshaler, reflect.Value) {
	v0 := v
	haveAddr := false
	// A named non-pointer value may have pointer-receiver methods.
	if v.Kind() != reflect.Pointer && v.Type().Name() != "" && v.CanAddr() {
		haveAddr = true
		v = v.Addr()
	}
	for {
		// Decode into the pointer an interface holds, as encoding/json does.
		if v.Kind() == reflect.Interface && !v.IsNil() {
			e := v.Elem()
			if e.Kind() == reflect.Pointer && !e.IsNil() && (!null || e.Elem().Kind() == reflect.Pointer) {
				haveAddr = false
				v = e
				continue
			}
		}
		if v.Kind() != reflect.Pointer {
			break
		}
		if null && v.CanSet() {
			break
		}
		// A pointer to an interface holding that same pointer would loop.
		if v.Elem().Kind() == reflect.Interface && v.Elem().Elem().Equal(v) {
			v = v.Elem()
			break
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if v.Type().NumMethod() > 0 && v.CanInterface() {
			if u, ok := v.Interface().(json.Unmarshaler); ok {
				return u, nil, reflect.Value{}
			}
			if !null {
				if u, ok := v.Interface().(encoding.TextUnmarshaler); ok {
					return nil, u, reflect.Value{}
				}
			}
		}
		if haveAddr {
			v = v0
			haveAddr = false
		} else {
			v = v.Elem()
		}
	}
	return nil, nil, v
}

// object decodes a JSON object into the struct v.
func (d *decoder) object(raw []byte, v reflect.Value) *Error {
	if raw[0] != '{' {
		return d.typeErr(raw)
	}
	fields := cachedFields(v.Type())
	it, _ := Object(raw)
	for {
		name, value, ok := it.Next()
		if !ok {
			break
		}
		f := fields[string(name)]
		if f == nil {
			continue
		}
		fv, ok := fieldByIndex(v, f.index)
		var err *Error
		switch {
		case !ok:
			err = d.typeErr(value)
		case f.quoted:
			err = d.quoted(value, fv)
		default:
			err = d.value(value, fv)
		}
		if err != nil {
			if err.Err == ErrType {
				if err.Member == "" {
					err.Member = f.name
				} else {
					err.Member = f.name + "." + err.Member
				}
			}
			return err
		}
	}
	if it.Err() != nil {
		return d.typeErr(raw) // unreachable for validated documents
	}
	return nil
}

// fieldByIndex returns the field of the struct v at index, allocating nil
// embedded pointers. ok is false for a nil pointer to an unexported
// embedded struct, which cannot be set.
func fieldByIndex(v reflect.Value, index []int) (_ reflect.Value, ok bool) {
	for _, i := range index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// quoted decodes a field with the ",string" option: a JSON string holding
// the JSON encoding of the value.
func (d *decoder) quoted(raw []byte, v reflect.Value) *Error {
	switch raw[0] {
	case 'n':
		return d.value(raw, v)
	case '"':
	default:
		return d.typeErr(raw)
	}
	s, _ := Unquote(raw)
	switch Kind(s) {
	case '"', '0', 't', 'f', 'n':
	default:
		return d.typeErr(raw)
	}
	if len(s) == 0 || isWS(s[0]) || isWS(s[len(s)-1]) || Valid(s) != nil {
		return d.typeErr(raw)
	}
	inner := decoder{base: cap(s)}
	if err := inner.value(s, v); err != nil {
		err.Offset = int64(d.base - cap(raw))
		return err
	}
	return nil
}

// mapValue decodes a JSON object into the map v.
func (d *decoder) mapValue(raw []byte, v reflect.Value) *Error {
	if raw[0] != '{' {
		return d.typeErr(raw)
	}
	t := v.Type()
	kt := t.Key()
	textKey := reflect.PointerTo(kt).Implements(textUnmarshalerType)
	switch kt.Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		if !textKey {
			return d.typeErr(raw)
		}
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	it, _ := Object(raw)
	for {
		name, value, ok := it.Next()
		if !ok {
			break
		}
		key := reflect.New(kt).Elem()
		switch {
		case textKey:
			if key.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(name) != nil {
				return d.typeErr(value)
			}
		case kt.Kind() == reflect.String:
			key.SetString(string(name))
		case key.CanInt():
			n, ok := parseInt(name, kt.Bits())
			if !ok {
				return d.typeErr(value)
			}
			key.SetInt(n)
		default:
			n, ok := parseUint(name, kt.Bits())
			if !ok {
				return d.typeErr(value)
			}
			key.SetUint(n)
		}
		elem := reflect.New(t.Elem()).Elem()
		if err := d.value(value, elem); err != nil {
			return err
		}
		v.SetMapIndex(key, elem)
	}
	return nil
}

// slice decodes a JSON array, or a base64 string for a byte slice, into the
// slice v.
func (d *decoder) slice(raw []byte, v reflect.Value) *Error {
	if raw[0] == '"' && v.Type().Elem().Kind() == reflect.Uint8 {
		s, _ := Unquote(raw)
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		n, err := base64.StdEncoding.Decode(b, s)
		if err != nil {
			return d.typeErr(raw)
		}
		v.SetBytes(b[:n])
		return nil
	}
	if raw[0] != '[' {
		return d.typeErr(raw)
	}
	it, _ := Array(raw)
	i := 0
	for ; ; i++ {
		value, ok := it.Next()
		if !ok {
			break
		}
		if i >= v.Cap() {
			v.Grow(1)
		}
		if i >= v.Len() {
			v.SetLen(i + 1)
		}
		elem := v.Index(i)
		elem.SetZero()
		if err := d.value(value, elem); err != nil {
			return err
		}
	}
	if i < v.Len() {
		v.SetLen(i)
	}
	if v.IsNil() {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	return nil
}

// array decodes a JSON array into the Go array v: extra elements are
// ignored, missing ones zeroed.
func (d *decoder) array(raw []byte, v reflect.Value) *Error {
	if raw[0] != '[' {
		return d.typeErr(raw)
	}
	it, _ := Array(raw)
	i := 0
	for ; ; i++ {
		value, ok := it.Next()
		if !ok {
			break
		}
		if i < v.Len() {
			if err := d.value(value, v.Index(i)); err != nil {
				return err
			}
		}
	}
	for ; i < v.Len(); i++ {
		v.Index(i).SetZero()
	}
	return nil
}

// parseUint parses a JSON integer without sign, fraction or exponent that
// fits in bits bits.
func parseUint(b []byte, bits int) (uint64, bool) {
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<64-1)/10 {
			return 0, false
		}
		n *= 10
		if n+uint64(c-'0') < n {
			return 0, false
		}
		n += uint64(c - '0')
	}
	if bits < 64 && n >= 1<<bits {
		return 0, false
	}
	return n, true
}

// parseInt parses a JSON integer without fraction or exponent that fits in
// bits bits.
func parseInt(b []byte, bits int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b, 64)
	if !ok {
		return 0, false
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if u > limit {
			return 0, false
		}
		return int64(-u), true
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
}

// field is one decodable struct field, possibly promoted from an embedded
// struct.
type field struct {
	name   string
	index  []int
	typ    reflect.Type
	tagged bool
	quoted bool
}

// fieldCache maps a struct type to its map[string]*field.
var fieldCache sync.Map

func cachedFields(t reflect.Type) map[string]*field {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]*field)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.(map[string]*field)
}

// typeFields returns the fields Decode fills in the struct type t, by exact
// JSON name, following encoding/json's rules: a breadth-first walk through
// embedded structs, where a shallower field hides deeper ones and, at equal
// depth, a tagged field hides untagged ones; names still ambiguous are
// dropped.
func typeFields(t reflect.Type) map[string]*field {
	var current []field
	next := []field{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []field
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := range f.typ.NumField() {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					st := sf.Type
					if st.Kind() == reflect.Pointer {
						st = st.Elem()
					}
					if !sf.IsExported() && st.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clone(f.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				quoted := false
				if hasOption(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool,
						reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						quoted = true
					}
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					fields = append(fields, field{name: name, index: index, typ: ft, tagged: tagged, quoted: quoted})
					if count[f.typ] > 1 {
						// The embedding struct appears twice at this depth:
						// its fields annihilate each other.
						fields = append(fields, fields[len(fields)-1])
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, field{name: ft.Name(), index: index, typ: ft})
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b field) int {
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	byName := make(map[string]*field, len(fields))
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		// fields[i:j] share a name, shallowest and tagged first.
		if j-i == 1 || len(fields[i].index) < len(fields[i+1].index) || fields[i].tagged && !fields[i+1].tagged {
			f := fields[i]
			byName[f.name] = &f
		}
		i = j
	}
	return byName
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// validTagName mirrors encoding/json's check of a tag's name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
