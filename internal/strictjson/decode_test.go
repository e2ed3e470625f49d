package strictjson

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type claims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	ID       string   `json:"jti"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Ignored  string   `json:"-"`
	Untagged string
	unexp    string
	Tenants  []tenant `json:"tenants"`
	Extra    *extra   `json:"extra"`
	Raw      json.RawMessage
	Any      any            `json:"any"`
	Map      map[string]int `json:"map"`
}

type tenant struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

type extra struct {
	Level uint8   `json:"level"`
	Ratio float64 `json:"ratio"`
}

func TestDecodeClaims(t *testing.T) {
	doc := `{"iss":"https://issuer.example/","sub":"user|123","aud":["api","other"],"exp":1767225600,"iat":1767222000,` +
		`"jti":"a1b2","client_id":"cli","scope":"read","-":"dash","Ignored":"no","Untagged":"yes","unexp":"no",` +
		`"tenants":[{"name":"t1","roles":["r1"]},{"name":"t2"}],"extra":{"level":7,"ratio":0.5},"Raw":{"k":[1, 2]},` +
		`"any":{"n":1.5,"a":[true,null,"s"]},"map":{"x":1,"y":2},"unknown":{"deep":[1]}}`
	var got claims
	if err := Decode([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	want := claims{
		Issuer: "https://issuer.example/", Subject: "user|123", Audience: []string{"api", "other"},
		Expiry: 1767225600, IssuedAt: 1767222000, ID: "a1b2", ClientID: "cli", Scope: "read",
		Untagged: "yes",
		Tenants:  []tenant{{Name: "t1", Roles: []string{"r1"}}, {Name: "t2"}},
		Extra:    &extra{Level: 7, Ratio: 0.5},
		Raw:      json.RawMessage(`{"k":[1, 2]}`),
		Any:      map[string]any{"n": 1.5, "a": []any{true, nil, "s"}},
		Map:      map[string]int{"x": 1, "y": 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// encoding/json agrees on this case-exact document.
	var std claims
	if err := json.Unmarshal([]byte(doc), &std); err != nil || !reflect.DeepEqual(std, want) {
		t.Fatalf("encoding/json: %+v, %v", std, err)
	}
}

func TestDecodeCaseSensitive(t *testing.T) {
	type T struct {
		Tenant string `json:"tenant"`
		Scope  string `json:"scope"`
		Exp    int64  `json:"exp"`
		Name   string // untagged: the Go name, exactly
	}
	for _, doc := range []string{
		`{"Tenant":"x"}`,
		`{"TENANT":"x"}`,
		"{\"\u017fcope\":\"x\"}", // ſcope: encoding/json folds it to scope
		`{"Scope":"x"}`,
		`{"EXP":1}`,
		`{"name":"x"}`,
		`{"NAME":"x"}`,
		"{\"\u212aame\":\"x\"}", // Kelvin sign
	} {
		var got T
		if err := Decode([]byte(doc), &got); err != nil {
			t.Fatalf("Decode(%q) = %v", doc, err)
		}
		if got != (T{}) {
			t.Errorf("Decode(%q) filled %+v; want nothing", doc, got)
		}
	}
	// The trap this package exists for: encoding/json fills the field.
	var std T
	if err := json.Unmarshal([]byte("{\"\u017fcope\":\"x\"}"), &std); err != nil || std.Scope != "x" {
		t.Logf("encoding/json no longer folds ſcope (%+v, %v)", std, err)
	}
	var got T
	if err := Decode([]byte(`{"tenant":"a","Name":"b","scope":"c","exp":3}`), &got); err != nil {
		t.Fatal(err)
	}
	if got != (T{Tenant: "a", Name: "b", Scope: "c", Exp: 3}) {
		t.Errorf("exact names: %+v", got)
	}
	// Duplicates, including ones encoding/json would resolve by folding or
	// last-wins, never decode.
	for _, doc := range []string{`{"tenant":"a","tenant":"b"}`, `{"tenant":"a","tena\u006et":"b"}`} {
		if err := Decode([]byte(doc), &got); !errors.Is(err, ErrDuplicate) {
			t.Errorf("Decode(%q) = %v, want ErrDuplicate", doc, err)
		}
	}
}

type Base struct {
	ID    string `json:"id"`
	Shade string `json:"shade"`
}

type Inner struct {
	Level int    `json:"level"`
	Shade string `json:"shade"`
}

type hidden struct {
	Secret string `json:"secret"`
}

type withEmbedded struct {
	Base
	*Inner
	hidden
	Own   string `json:"own"`
	Shade string `json:"shade"` // shallower: hides Base.Shade and Inner.Shade
}

// Two embedded structs with the same field name at the same depth: the name
// is ambiguous and dropped, as in encoding/json.
type A1 struct{ X int }
type A2 struct{ X int }
type ambiguous struct {
	A1
	A2
}

type tagDominates struct {
	A1
	B struct{} `json:"-"`
	T
}
type T struct {
	X int `json:"X"`
}

func TestDecodeEmbedded(t *testing.T) {
	doc := []byte(`{"id":"i","shade":"top","level":3,"secret":"s","own":"o"}`)
	var got withEmbedded
	if err := Decode(doc, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "i" || got.Shade != "top" || got.Base.Shade != "" || got.Inner == nil || got.Level != 3 ||
		got.Inner.Shade != "" || got.Secret != "s" || got.Own != "o" {
		t.Errorf("got %+v (inner %+v)", got, got.Inner)
	}
	var std withEmbedded
	if err := json.Unmarshal(doc, &std); err != nil || !reflect.DeepEqual(std, got) {
		t.Errorf("encoding/json differs: %+v, %v", std, err)
	}

	var amb ambiguous
	if err := Decode([]byte(`{"X":1}`), &amb); err != nil || amb != (ambiguous{}) {
		t.Errorf("ambiguous: %+v, %v", amb, err)
	}
	var td tagDominates
	if err := Decode([]byte(`{"X":1}`), &td); err != nil || td.T.X != 1 || td.A1.X != 0 {
		t.Errorf("tagged dominates: %+v, %v", td, err)
	}
}

type unexportedPtr struct {
	*hidden
}

func TestDecodeEmbeddedUnexportedPointer(t *testing.T) {
	var v unexportedPtr
	err := Decode([]byte(`{"secret":"s"}`), &v)
	if !errors.Is(err, ErrType) {
		t.Fatalf("Decode = %v, want ErrType", err)
	}
}

// upper implements json.Unmarshaler.
type upper string

func (u *upper) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*u = upper(strings.ToUpper(s))
	return nil
}

// leaky implements encoding.TextUnmarshaler and fails quoting its input.
type leaky struct{}

func (*leaky) UnmarshalText(b []byte) error { return errors.New("bad value " + string(b)) }

func TestDecodeUnmarshalers(t *testing.T) {
	type T struct {
		When    time.Time  `json:"when"`
		WhenPtr *time.Time `json:"when_ptr"`
		Up      upper      `json:"up"`
		UpPtr   *upper     `json:"up_ptr"`
		Raw     json.RawMessage
		Leaky   leaky            `json:"leaky"`
		Keys    map[upperKey]int `json:"keys"`
	}
	doc := `{"when":"2026-01-01T00:00:00Z","when_ptr":"2026-01-02T00:00:00+01:00","up":"abc","up_ptr":"d","Raw":[1,{"a":2}],"keys":{"k":1}}`
	var got T
	if err := Decode([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	if !got.When.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || got.WhenPtr == nil ||
		!got.WhenPtr.Equal(time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC)) ||
		got.Up != "ABC" || got.UpPtr == nil || *got.UpPtr != "D" || string(got.Raw) != `[1,{"a":2}]` ||
		got.Keys[upperKey("K")] != 1 {
		t.Errorf("got %+v", got)
	}
	// null: pointers to nil, time.Time unchanged.
	if err := Decode([]byte(`{"when":null,"when_ptr":null,"up_ptr":null}`), &got); err != nil {
		t.Fatal(err)
	}
	if got.When.IsZero() || got.WhenPtr != nil || got.UpPtr != nil {
		t.Errorf("after nulls: %+v", got)
	}
	// A failing unmarshaler is a type error that does not repeat the input.
	const secret = "SECRET-TOKEN-VALUE"
	for _, doc := range []string{
		`{"when":"` + secret + `"}`,
		`{"when":12345}`,
		`{"leaky":"` + secret + `"}`,
		`{"up":["` + secret + `"]}`,
	} {
		err := Decode([]byte(doc), &got)
		if !errors.Is(err, ErrType) {
			t.Errorf("Decode(%q) = %v, want ErrType", doc, err)
			continue
		}
		checkOneSentinel(t, err)
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q echoes the document", err)
		}
	}
}

type upperKey string

func (k *upperKey) UnmarshalText(b []byte) error {
	*k = upperKey(strings.ToUpper(string(b)))
	return nil
}

func TestDecodeNumbers(t *testing.T) {
	type N struct {
		I   int         `json:"i"`
		I8  int8        `json:"i8"`
		I64 int64       `json:"i64"`
		U8  uint8       `json:"u8"`
		U   uint        `json:"u"`
		U64 uint64      `json:"u64"`
		F32 float32     `json:"f32"`
		F   float64     `json:"f"`
		Num json.Number `json:"num"`
	}
	ok := []struct {
		doc  string
		want N
	}{
		{`{"i8":127}`, N{I8: 127}},
		{`{"i8":-128}`, N{I8: -128}},
		{`{"i64":9223372036854775807}`, N{I64: math.MaxInt64}},
		{`{"i64":-9223372036854775808}`, N{I64: math.MinInt64}},
		{`{"i":-0}`, N{}},
		{`{"u8":255}`, N{U8: 255}},
		{`{"u64":18446744073709551615}`, N{U64: math.MaxUint64}},
		{`{"f":1e308,"f32":1.5}`, N{F: 1e308, F32: 1.5}},
		{`{"f":-0.0}`, N{F: math.Copysign(0, -1)}},
		{`{"f":1e-400}`, N{}}, // underflow rounds to zero, as in encoding/json
		{`{"num":-1.5e300}`, N{Num: "-1.5e300"}},
		{`{"num":"12"}`, N{Num: "12"}},
	}
	for _, tt := range ok {
		var got N
		if err := Decode([]byte(tt.doc), &got); err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s) = %+v, %v; want %+v", tt.doc, got, err, tt.want)
		}
	}
	bad := map[string]string{
		`{"i8":128}`:                    "i8",
		`{"i8":-129}`:                   "i8",
		`{"i64":9223372036854775808}`:   "i64",
		`{"i64":-9223372036854775809}`:  "i64",
		`{"i":99999999999999999999999}`: "i",
		`{"i":1.0}`:                     "i",
		`{"i":1e2}`:                     "i",
		`{"i":"1"}`:                     "i",
		`{"i":true}`:                    "i",
		`{"u8":256}`:                    "u8",
		`{"u":-1}`:                      "u",
		`{"u":-0}`:                      "u",
		`{"u64":18446744073709551616}`:  "u64",
		`{"f32":1e39}`:                  "f32",
		`{"f":1e309}`:                   "f",
		`{"f":"1"}`:                     "f",
		`{"num":"x"}`:                   "num",
		`{"num":true}`:                  "num",
	}
	for doc, member := range bad {
		var got N
		err := Decode([]byte(doc), &got)
		var e *Error
		if !errors.As(err, &e) || e.Err != ErrType || e.Member != member {
			t.Errorf("Decode(%s) = %#v, want ErrType for %q", doc, err, member)
		}
	}
}

func TestDecodeTypeErrorPath(t *testing.T) {
	const secret = "ATTACKER-CONTROLLED-1234"
	for _, tt := range []struct {
		doc    string
		member string
		offset int64
	}{
		{`{"tenants":[{"name":"a","roles":["x"]},{"roles":"` + secret + `"}]}`, "tenants.roles", 48},
		{`{"tenants":[{"roles":[1]}]}`, "tenants.roles", 22},
		{`{"tenants":{"name":"` + secret + `"}}`, "tenants", 11},
		{`{"extra":{"level":"` + secret + `"}}`, "extra.level", 18},
		{`{"extra":{"level":300}}`, "extra.level", 18},
		{`{"aud":"` + secret + `"}`, "aud", 7},
		{`{"map":{"` + secret + `":"` + secret + `"}}`, "map", 35},
		{`{"exp":"` + secret + `"}`, "exp", 7},
		{`{"iss":["` + secret + `"]}`, "iss", 7},
	} {
		var c claims
		err := Decode([]byte(tt.doc), &c)
		var e *Error
		if !errors.As(err, &e) || e.Err != ErrType || e.Member != tt.member || e.Offset != tt.offset {
			t.Errorf("Decode(%s) = %#v; want ErrType at %d for %q", tt.doc, err, tt.offset, tt.member)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(e.Member, secret) {
			t.Errorf("error %q echoes the document", err)
		}
	}
	// Wrong top-level types.
	for _, tt := range []struct {
		doc string
		v   any
	}{
		{`"` + secret + `"`, new(claims)},
		{`[1]`, new(map[string]int)},
		{`{}`, new([]int)},
		{`1`, new(string)},
		{`{"a":1}`, new(map[float64]int)},
		{`1`, new(chan int)},
		{`1`, new(complex128)},
		{`1`, new(error)},
	} {
		err := Decode([]byte(tt.doc), tt.v)
		if !errors.Is(err, ErrType) {
			t.Errorf("Decode(%s, %T) = %v, want ErrType", tt.doc, tt.v, err)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q echoes the document", err)
		}
	}
	// Not a non-nil pointer.
	var nilPtr *claims
	for _, v := range []any{nil, claims{}, nilPtr} {
		if err := Decode([]byte(`{}`), v); !errors.Is(err, ErrType) {
			t.Errorf("Decode into %T = %v, want ErrType", v, err)
		}
	}
	// Syntax errors come before type errors and do not echo either.
	err := Decode([]byte(`{"iss":"`+secret+`",}`), new(claims))
	if !errors.Is(err, ErrSyntax) || strings.Contains(err.Error(), secret) {
		t.Errorf("Decode(trailing comma) = %v", err)
	}
}

func TestDecodeNullAndContainers(t *testing.T) {
	type T struct {
		S   string            `json:"s"`
		I   int               `json:"i"`
		P   *int              `json:"p"`
		M   map[string]string `json:"m"`
		L   []int             `json:"l"`
		A   [2]int            `json:"a"`
		B   []byte            `json:"b"`
		Any any               `json:"any"`
		IM  map[int]bool      `json:"im"`
	}
	one := 1
	v := T{S: "keep", I: 7, P: &one, M: map[string]string{"x": "y"}, L: []int{1}, A: [2]int{1, 2}, Any: 1}
	if err := Decode([]byte(`{"s":null,"i":null,"p":null,"m":null,"l":null,"a":null,"any":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.S != "keep" || v.I != 7 || v.P != nil || v.M != nil || v.L != nil || v.A != [2]int{1, 2} || v.Any != nil {
		t.Errorf("after nulls: %+v", v)
	}
	if err := Decode([]byte(`{"l":[],"a":[5],"m":{},"b":"aGk=","im":{"-3":true,"4":false}}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.L == nil || len(v.L) != 0 || v.A != [2]int{5, 0} || v.M == nil || string(v.B) != "hi" ||
		!reflect.DeepEqual(v.IM, map[int]bool{-3: true, 4: false}) {
		t.Errorf("containers: %+v", v)
	}
	if err := Decode([]byte(`{"l":[1,2,3],"a":[1,2,3]}`), &v); err != nil || !reflect.DeepEqual(v.L, []int{1, 2, 3}) || v.A != [2]int{1, 2} {
		t.Errorf("long: %+v %v", v, err)
	}
	if err := Decode([]byte(`{"l":[9]}`), &v); err != nil || !reflect.DeepEqual(v.L, []int{9}) {
		t.Errorf("shorter: %+v %v", v, err)
	}
	for _, doc := range []string{`{"b":"not base64!"}`, `{"im":{"x":true}}`, `{"im":{"1.5":true}}`} {
		if err := Decode([]byte(doc), &v); !errors.Is(err, ErrType) {
			t.Errorf("Decode(%s) = %v, want ErrType", doc, err)
		}
	}
	// Escaped member names match their unescaped field names.
	if err := Decode([]byte(`{"\u0073":"esc"}`), &v); err != nil || v.S != "esc" {
		t.Errorf("escaped name: %+v %v", v, err)
	}
}

func TestDecodeStringOption(t *testing.T) {
	type T struct {
		N int     `json:"n,string"`
		B bool    `json:"b,string"`
		F float64 `json:"f,string"`
		S string  `json:"s,string"`
		P *int    `json:"p,string"`
	}
	var v T
	if err := Decode([]byte(`{"n":"12","b":"true","f":"1.5","s":"\"x\"","p":"3"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.N != 12 || !v.B || v.F != 1.5 || v.S != "x" || v.P == nil || *v.P != 3 {
		t.Errorf("got %+v", v)
	}
	for _, doc := range []string{`{"n":12}`, `{"n":"x"}`, `{"n":"1 "}`, `{"s":"x"}`, `{"b":"1"}`, `{"n":"[1]"}`} {
		if err := Decode([]byte(doc), &v); !errors.Is(err, ErrType) {
			t.Errorf("Decode(%s) = %v, want ErrType", doc, err)
		}
	}
}

func TestValueTypes(t *testing.T) {
	got, err := Value([]byte(`{"a":[1,-2.5e3,"s",true,false,null,{}],"b":{},"c":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": []any{json.Number("1"), json.Number("-2.5e3"), "s", true, false, nil, map[string]any{}},
		"b": map[string]any{},
		"c": []any{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Value = %#v", got)
	}
	if _, err := Value([]byte(`{"a":1,"a":1}`)); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Value(duplicate) = %v", err)
	}
}

func TestDecodeSurroundingWhitespace(t *testing.T) {
	var n int
	var num json.Number
	var raw json.RawMessage
	var f float64
	for _, tt := range []struct {
		v    any
		want any
	}{{&n, 12}, {&num, json.Number("12")}, {&raw, json.RawMessage("12")}, {&f, 12.0}} {
		if err := Decode([]byte(" \t\r\n12 \t\r\n"), tt.v); err != nil {
			t.Errorf("Decode into %T: %v", tt.v, err)
		} else if got := reflect.ValueOf(tt.v).Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode into %T = %#v, want %#v", tt.v, got, tt.want)
		}
	}
}
