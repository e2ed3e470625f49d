package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// seeds are shared by the fuzz targets: valid documents, near misses, and
// the traps this package exists to close.
var seeds = []string{
	claimsDoc, headerDoc,
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e-7`, `true`, `false`, `null`, ` {"a" : [1, {"b":null}] } `,
	`{"s":"x","n":1,"f":2.5,"b":true,"l":["a","b"],"a":{"k":[1,"v"]}}`,
	`{"s":null,"n":null,"f":null,"b":null,"l":null,"a":null}`,
	`{"s":1}`, `{"n":1.5}`, `{"n":9223372036854775808}`, `{"f":1e400}`, `{"l":[1]}`, `{"a":1e400}`,
	`{"S":"x","N":1}`, "{\"\u017f\":1}", `{"\u0073":"esc"}`,
	`{"a":1,"a":2}`, `{"ab":1,"a\u0062":2}`, `[{"k":1},{"k":1,"k":2}]`,
	`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18,"k19":19,"k20":20,"k21":21,"k22":22,"k23":23,"k24":24,"k25":25,"k26":26,"k27":27,"k28":28,"k29":29,"k30":30,"k31":31,"k32":32,"k\u0030":0}`,
	`01`, `-`, `1.`, `.5`, `1e`, `+1`, `[1,]`, `{"a":1,}`, `// c`, `'a'`, "\"\x01\"", "\xef\xbb\xbf{}", `{} x`, ``,
	"\"\xc0\xaf\"", "\"\xed\xa0\x80\"", `"\ud800"`, `"\udc00\ud800"`, `"\ud83d\ude00"`, "\"\U0001F600\"",
	strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	`{"a":"\"}\\","b":[{"c":"]"}]}`, `[1 2]`, `{"a" 1}`, `{"a":[}`, `"\u12"`, `"\`,
}

func FuzzValid(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := Valid(doc)
		if err != nil {
			checkOneSentinel(t, err)
			if _, verr := Value(doc); verr == nil {
				t.Fatalf("Valid fails (%v) but Value succeeds", err)
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("Valid accepts %q, encoding/json does not", doc)
		}
		v, err := Value(doc)
		if err != nil {
			t.Fatalf("Valid accepts but Value fails: %v", err)
		}
		// Without duplicates or invalid UTF-8, encoding/json reads the same.
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var std any
		if err := dec.Decode(&std); err != nil || !reflect.DeepEqual(v, std) {
			t.Fatalf("Value = %#v, encoding/json = %#v (%v)", v, std, err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		if err := Valid(out); err != nil {
			t.Fatalf("re-marshalled %q is not Valid: %v", out, err)
		}
		v2, err := Value(out)
		if err != nil || !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip: %#v != %#v (%v)", v, v2, err)
		}
	})
}

// walk visits every value under raw with the iterators and rebuilds what
// Value returns. It fails the test if an iterator runs longer than the
// input could justify.
func walk(t *testing.T, raw []byte) any {
	t.Helper()
	switch Kind(raw) {
	case '{':
		it, err := Object(raw)
		if err != nil {
			t.Fatalf("Object: %v", err)
		}
		m := map[string]any{}
		for n := 0; ; n++ {
			if n > len(raw) {
				t.Fatal("ObjectIter did not stop")
			}
			name, v, ok := it.Next()
			if !ok {
				break
			}
			if Kind(v) == 0 {
				return nil
			}
			m[string(name)] = walk(t, v)
		}
		if it.Err() != nil {
			return nil
		}
		return m
	case '[':
		it, err := Array(raw)
		if err != nil {
			t.Fatalf("Array: %v", err)
		}
		a := []any{}
		for n := 0; ; n++ {
			if n > len(raw) {
				t.Fatal("ArrayIter did not stop")
			}
			v, ok := it.Next()
			if !ok {
				break
			}
			a = append(a, walk(t, v))
		}
		if it.Err() != nil {
			return nil
		}
		return a
	case '"':
		s, ok := Unquote(raw)
		if !ok {
			return nil
		}
		return string(s)
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	case '0':
		return json.Number(bytes.Trim(raw, " \t\r\n"))
	}
	return nil
}

func FuzzIter(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), "a")
	}
	f.Fuzz(func(t *testing.T, doc []byte, name string) {
		// Never panics or loops on anything.
		got := walk(t, doc)
		Lookup(doc, name)
		Unquote(doc)
		it, err := Object(doc)
		if err == nil {
			for n := 0; ; n++ {
				if n > len(doc) {
					t.Fatal("ObjectIter did not stop")
				}
				mname, v, ok := it.Next()
				if !ok {
					break
				}
				// Lookup finds the first member of each name.
				if lv, ok := Lookup(doc, string(mname)); !ok {
					t.Fatalf("Lookup(%q) missed a member", mname)
				} else if Valid(doc) == nil && !bytes.Equal(lv, v) {
					t.Fatalf("Lookup(%q) = %q, iterator %q", mname, lv, v)
				}
			}
		}
		if Valid(doc) != nil {
			return
		}
		// On valid documents the iterators see exactly what Value sees.
		want, err := Value(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("iterators = %#v, Value = %#v", got, want)
		}
		if Kind(doc) == '{' {
			v, ok := Lookup(doc, name)
			m := want.(map[string]any)
			if _, has := m[name]; has != ok {
				t.Fatalf("Lookup(%q) ok=%v, Value has it: %v", name, ok, has)
			}
			if ok && !reflect.DeepEqual(walk(t, v), m[name]) {
				t.Fatalf("Lookup(%q) = %q, Value %#v", name, v, m[name])
			}
		}
	})
}

type fuzzStruct struct {
	S string   `json:"s"`
	N int64    `json:"n"`
	F float64  `json:"f"`
	B bool     `json:"b"`
	L []string `json:"l"`
	A any      `json:"a"`
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var got fuzzStruct
		err := Decode(doc, &got)
		if verr := Valid(doc); verr != nil {
			if err == nil || !errors.Is(err, errors.Unwrap(verr)) {
				t.Fatalf("Valid = %v, Decode = %v", verr, err)
			}
			return
		}
		if err != nil {
			checkOneSentinel(t, err)
			if !errors.Is(err, ErrType) {
				t.Fatalf("Decode of a valid document: %v", err)
			}
		}
		v, verr := Value(doc)
		if verr != nil {
			t.Fatal(verr)
		}
		want, ok := expectDecode(v)
		if !ok {
			if err == nil {
				t.Fatalf("Decode accepted %q into %+v; Value %#v says a member has the wrong type", doc, got, v)
			}
			return
		}
		if err != nil {
			t.Fatalf("Decode failed (%v); Value %#v says it fits", err, v)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode = %#v, from Value %#v", got, want)
		}
	})
}

// expectDecode derives what Decode must produce for fuzzStruct from the
// generic form of the document; ok is false if Decode must fail.
func expectDecode(v any) (want fuzzStruct, ok bool) {
	if v == nil {
		return want, true
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return want, false
	}
	if x, has := m["s"]; has && x != nil {
		s, isStr := x.(string)
		if !isStr {
			return want, false
		}
		want.S = s
	}
	if x, has := m["n"]; has && x != nil {
		num, isNum := x.(json.Number)
		if !isNum || strings.ContainsAny(string(num), ".eE") {
			return want, false
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return want, false
		}
		want.N = n
	}
	if x, has := m["f"]; has && x != nil {
		num, isNum := x.(json.Number)
		if !isNum {
			return want, false
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return want, false
		}
		want.F = f
	}
	if x, has := m["b"]; has && x != nil {
		b, isBool := x.(bool)
		if !isBool {
			return want, false
		}
		want.B = b
	}
	if x, has := m["l"]; has && x != nil {
		a, isArr := x.([]any)
		if !isArr {
			return want, false
		}
		want.L = []string{}
		for _, e := range a {
			var s string
			if e != nil {
				var isStr bool
				if s, isStr = e.(string); !isStr {
					return want, false
				}
			}
			want.L = append(want.L, s)
		}
	}
	if x, has := m["a"]; has {
		a, ok := floats(x)
		if !ok {
			return want, false
		}
		want.A = a
	}
	return want, true
}

// floats converts json.Number to float64 throughout, as encoding/json does
// for interface values.
func floats(v any) (any, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, false
		}
		return f, true
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			x, ok := floats(e)
			if !ok {
				return nil, false
			}
			m[k] = x
		}
		return m, true
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			x, ok := floats(e)
			if !ok {
				return nil, false
			}
			a[i] = x
		}
		return a, true
	}
	return v, true
}
