// Package conformance holds test-only checks of jwtguard against outside
// references. It is a separate module so that users of jwtguard never
// download the references.
package conformance

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// diffSeeds are edge cases for the differential fuzz targets.
var diffSeeds = []string{
	// Ordinary documents.
	`{"iss":"https://issuer.example/","sub":"user|123","aud":["api","other"],"exp":1767225600,"iat":1767222000,"jti":"a1b2","client_id":"cli","scope":"read:messages write:messages"}`,
	`{"alg":"RS256","typ":"at+jwt","kid":"key-1"}`,
	`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"a"},{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
	`{"s":"x","i":-3,"u":7,"f":2.5,"b":true,"l":["a",null],"m":{"k":1},"n":{"x":1,"y":"z"},"a":[1,{"b":null}]}`,
	`{"s":null,"i":null,"u":null,"f":null,"b":null,"l":null,"m":null,"n":null,"a":null}`,
	`{}`, `[]`, `""`, `0`, `-0`, `true`, `false`, `null`, " \t\r\n[ 1 , 2 ]\n",
	// Case and folding: never matched.
	`{"S":"x","I":1,"SCOPE":"y"}`, "{\"\u017f\":\"x\"}", "{\"\u212a\":1}", `{"\u0073":"esc"}`,
	// Numbers.
	`01`, `-01`, `-`, `1.`, `.5`, `1e`, `1e+`, `1.e5`, `+1`, `0x1`, `NaN`, `Infinity`, `1e400`, `-1e400`, `1e-400`,
	`123456789012345678901234567890`, `{"i":9223372036854775807}`, `{"i":9223372036854775808}`,
	`{"i":-9223372036854775808}`, `{"i":-9223372036854775809}`, `{"i":1.0}`, `{"i":1e2}`, `{"i":-0}`,
	`{"u":-0}`, `{"u":-1}`, `{"u":18446744073709551615}`, `{"u":18446744073709551616}`, `{"u8":256}`,
	`{"f":1e309}`, `{"f":-0.0}`, `{"f":"1"}`, `{"i":"1"}`, `{"a":1e400}`,
	// Grammar.
	`[1,]`, `{"a":1,}`, `[,]`, `{,}`, `[1 2]`, `{"a" 1}`, `{"a":}`, `{a:1}`, `'a'`, `{'a':1}`,
	"// c\n1", `/* c */ 1`, `1 // c`, "\"a\nb\"", "\"\x00\"", "\"\x1f\"", "\"\x7f\"", `"\x"`, `"\'"`, `"\u12"`,
	`"\U0041"`, `"abc`, `{"a":1`, `[1}`, `{"a":1]`, `[1]]`, "\xef\xbb\xbf{}", `{} {}`, `1 2`, "{}\x00", ``, ` `,
	"\f1", "\v1", "\u00a01", "\u20281", `tru`, `True`, `nul`, `nulll`,
	// UTF-8.
	"\"\xc0\xaf\"", "\"\xc0\x80\"", "\"\xe0\x80\xaf\"", "\"\xf0\x80\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xed\xbf\xbf\"",
	"\"\xed\xa0\xbd\xed\xb8\x80\"", "\"\xf4\x90\x80\x80\"", "\"\x80\"", "\"\xc3\"", "\"\xff\"", "{\"\xff\":1}",
	`"\ud800"`, `"\udc00"`, `"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ude00"`,
	`"\uD83D\uDE00"`, `"\ufffd"`, "\"\ufffd\"", "\"\U0001F600\"", `{"\udfff":1}`, `"\u0000"`,
	// Duplicates.
	`{"a":1,"a":2}`, `{"ab":1,"a\u0062":2}`, `{"\u0061":1,"\u0061":2}`, `{"a/b":1,"a\/b":2}`,
	"{\"\U0001F600\":1,\"\\ud83d\\ude00\":2}", `{"":1,"":2}`, `{"":1,"\u0000":2}`, `{"a":{"b":1,"b":2}}`,
	`[{"a":1},{"a":1,"b":2,"a":3}]`, `{"a":{"a":{"a":1}}}`, `{"scope":1,"Scope":2}`, `{"s":"x","s":"y"}`,
	`{"m":{"k":1,"k":2}}`,
	`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18,"k19":19,"k20":20,"k21":21,"k22":22,"k23":23,"k24":24,"k25":25,"k26":26,"k27":27,"k28":28,"k29":29,"k30":30,"k31":31,"k32":32,"k\u0030":0}`,
	// Depth.
	strings.Repeat("[", strictjson.MaxDepth) + strings.Repeat("]", strictjson.MaxDepth),
	strings.Repeat(`{"a":`, strictjson.MaxDepth) + "1" + strings.Repeat("}", strictjson.MaxDepth),
	// Types for the struct.
	`{"s":1}`, `{"b":"true"}`, `{"l":"x"}`, `{"l":[1]}`, `{"m":[]}`, `{"m":{"k":"v"}}`, `{"n":[]}`, `{"n":{"x":"1"}}`,
	`"x"`, `[{"s":"x"}]`, " 12 ", "\t\"s\"\n", `[{"s":"x","n":{"x":1}},null,{}]`, `{"k":{"x":1},"j":null}`,
	`{"k":{"x":"1"}}`, `[{"i":1.5}]`, `-9223372036854775808`, `9223372036854775808`, `1e308`, `1e309`,
}

// depth returns the deepest nesting of brackets outside strings in doc. For
// valid JSON it is the nesting depth.
func depth(doc []byte) int {
	d, deepest, inString := 0, 0, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			d++
			deepest = max(deepest, d)
		case c == ']' || c == '}':
			d--
		}
	}
	return deepest
}

// FuzzDiffValid: within MaxDepth, strictjson accepts exactly what json/v2's
// jsontext accepts with its default options (duplicate names and invalid
// UTF-8 rejected).
func FuzzDiffValid(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := strictjson.Valid(doc)
		if depth(doc) > strictjson.MaxDepth {
			if err == nil {
				t.Fatalf("Valid accepts a document deeper than MaxDepth")
			}
			return
		}
		if got, want := err == nil, jsontext.Value(doc).IsValid(); got != want {
			t.Fatalf("Valid(%q) = %v, jsontext IsValid = %v", doc, err, want)
		}
	})
}

// FuzzDiffValue: Value equals json/v2's Unmarshal into any, with numbers
// normalized to float64.
func FuzzDiffValue(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if depth(doc) > strictjson.MaxDepth {
			return
		}
		got, err := strictjson.Value(doc)
		var want any
		werr := jsonv2.Unmarshal(doc, &want)
		if err != nil {
			if werr == nil {
				t.Fatalf("Value(%q) = %v, v2 accepts: %#v", doc, err, want)
			}
			return
		}
		norm, ok := floats(got)
		if werr != nil {
			// Only a number out of float64 range may make v2 fail here.
			if ok {
				t.Fatalf("Value(%q) = %#v, v2 fails: %v", doc, got, werr)
			}
			return
		}
		if !ok || !reflect.DeepEqual(norm, want) {
			t.Fatalf("Value(%q) = %#v, v2 %#v", doc, norm, want)
		}
	})
}

type inner struct {
	X int    `json:"x"`
	Y string `json:"y"`
}

type diffStruct struct {
	S  string         `json:"s"`
	I  int64          `json:"i"`
	U  uint64         `json:"u"`
	U8 uint8          `json:"u8"`
	F  float64        `json:"f"`
	B  bool           `json:"b"`
	L  []string       `json:"l"`
	M  map[string]int `json:"m"`
	N  *inner         `json:"n"`
	A  any            `json:"a"`
	Go string         // untagged: matched by its Go name, exactly
}

// FuzzDiffDecode: Decode into a struct succeeds exactly when json/v2's
// Unmarshal (case-sensitive by default) does, with the same result.
func FuzzDiffDecode(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"Go":"x","go":"y","GO":"z"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if depth(doc) > strictjson.MaxDepth {
			return
		}
		var got, want diffStruct
		err := strictjson.Decode(doc, &got)
		werr := jsonv2.Unmarshal(doc, &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("Decode(%q) = %v, v2 = %v", doc, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %+v, v2 %+v", doc, got, want)
		}
		if err != nil && !errors.Is(err, strictjson.ErrType) && strictjson.Valid(doc) == nil {
			t.Fatalf("Decode of a valid document failed with %v", err)
		}
		// Other top-level types.
		for _, newV := range []func() any{
			func() any { return new(any) },
			func() any { return new(int64) },
			func() any { return new(float64) },
			func() any { return new(string) },
			func() any { return new([]diffStruct) },
			func() any { return new(map[string]*inner) },
		} {
			got, want := newV(), newV()
			err := strictjson.Decode(doc, got)
			werr := jsonv2.Unmarshal(doc, want)
			if (err == nil) != (werr == nil) {
				t.Fatalf("Decode(%q) into %T = %v, v2 = %v", doc, got, err, werr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode(%q) into %T = %#v, v2 %#v", doc, got, got, want)
			}
		}
	})
}

// floats converts json.Number to float64 throughout; ok is false if a
// number is out of range.
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
