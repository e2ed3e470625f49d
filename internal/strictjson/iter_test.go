package strictjson

import (
	"errors"
	"reflect"
	"testing"
)

const (
	claimsDoc = `{"iss":"https://issuer.example/","sub":"user|123","aud":["api","other"],"exp":1767225600,"iat":1767222000,"jti":"a1b2","client_id":"cli","scope":"read:messages write:messages"}`
	headerDoc = `{"alg":"RS256","typ":"at+jwt","kid":"key-1"}`
)

func TestObjectIter(t *testing.T) {
	doc := []byte(` { "a" : 1 , "b\u0063" : [ 1 , { "x" : "}" } ] , "s":"q\"]" ,"n":null} `)
	it, err := Object(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	for {
		name, value, ok := it.Next()
		if !ok {
			break
		}
		got = append(got, [2]string{string(name), string(value)})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"a", "1"}, {"bc", `[ 1 , { "x" : "}" } ]`}, {"s", `"q\"]"`}, {"n", "null"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("members = %q, want %q", got, want)
	}
	// A name without escapes is a sub-slice of the document.
	it, _ = Object(doc)
	name, _, _ := it.Next()
	if &name[0] != &doc[4] {
		t.Error("unescaped name is not a sub-slice of the document")
	}
}

func TestObjectIterEmptyAndType(t *testing.T) {
	it, err := Object([]byte(" {  } "))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := it.Next(); ok || it.Err() != nil {
		t.Fatalf("empty object: ok=%v err=%v", ok, it.Err())
	}
	for _, doc := range []string{"", "[]", `"{}"`, "1", "null"} {
		_, err := Object([]byte(doc))
		if !errors.Is(err, ErrType) {
			t.Errorf("Object(%q) error = %v, want ErrType", doc, err)
		}
		checkOneSentinelIfErr(t, err)
		it, _ := Object([]byte(doc))
		if _, _, ok := it.Next(); ok {
			t.Errorf("Object(%q): Next on failed iterator returned ok", doc)
		}
	}
}

func checkOneSentinelIfErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		checkOneSentinel(t, err)
	}
}

func TestObjectIterMalformed(t *testing.T) {
	for _, doc := range []string{
		`{"a":1,}`, `{"a"}`, `{"a":}`, `{"a":1 "b":2}`, `{"a`, `{"a":"x`, `{"a":[1,2}`,
		`{1:2}`, `{"a":1`, `{,}`, `{"a\x":1}`, `{"a\u12":1}`,
	} {
		it, err := Object([]byte(doc))
		if err != nil {
			t.Fatalf("Object(%q) = %v", doc, err)
		}
		for range 10 {
			if _, _, ok := it.Next(); !ok {
				break
			}
		}
		if _, _, ok := it.Next(); ok {
			t.Errorf("%q: iterator did not stop", doc)
		}
		if !errors.Is(it.Err(), ErrSyntax) {
			t.Errorf("%q: Err = %v, want ErrSyntax", doc, it.Err())
		}
	}
}

func TestArrayIter(t *testing.T) {
	doc := []byte(`[ 1 ,"a]" , {"x":[2,3]} ,[ ], true,null ,-1.5e3 ]`)
	it, err := Array(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		v, ok := it.Next()
		if !ok {
			break
		}
		got = append(got, string(v))
	}
	want := []string{"1", `"a]"`, `{"x":[2,3]}`, "[ ]", "true", "null", "-1.5e3"}
	if it.Err() != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("elements = %q (err %v), want %q", got, it.Err(), want)
	}
	if _, err := Array([]byte(`{}`)); !errors.Is(err, ErrType) {
		t.Errorf("Array(object) = %v, want ErrType", err)
	}
	for _, doc := range []string{`[1,]`, `[1 2]`, `[,1]`, `[1`, `["a`, `[{]`, `[}`} {
		it, _ := Array([]byte(doc))
		for range 10 {
			if _, ok := it.Next(); !ok {
				break
			}
		}
		if !errors.Is(it.Err(), ErrSyntax) {
			t.Errorf("%q: Err = %v, want ErrSyntax", doc, it.Err())
		}
	}
}

func TestKind(t *testing.T) {
	for in, want := range map[string]byte{
		`"x"`: '"', `{}`: '{', `[]`: '[', `true`: 't', `false`: 'f', `null`: 'n',
		`0`: '0', `-1`: '0', `9.5`: '0', ` "x"`: '"', ``: 0, `  `: 0, `x`: 0, `+1`: 0, `}`: 0,
	} {
		if got := Kind([]byte(in)); got != want {
			t.Errorf("Kind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"abc"`, "abc", true},
		{`""`, "", true},
		{` "abc" `, "abc", true},
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", true},
		{`"\u00e9\u20ac\ud83d\ude00"`, "é€😀", true},
		{`"\u0000"`, "\x00", true},
		{`"\ud800"`, "", false},
		{`"\x"`, "", false},
		{"\"\xff\"", "", false},
		{"\"a\nb\"", "", false},
		{`"abc`, "", false},
		{`"a"b"`, "", false},
		{`"a" "b"`, "", false},
		{`abc`, "", false},
		{`1`, "", false},
		{``, "", false},
		{`"`, "", false},
	} {
		got, ok := Unquote([]byte(tt.in))
		if ok != tt.ok || string(got) != tt.want {
			t.Errorf("Unquote(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// No escape: a sub-slice, no copy.
	v := []byte(`"plain"`)
	s, _ := Unquote(v)
	if &s[0] != &v[1] {
		t.Error("Unquote copied a string without escapes")
	}
}

func TestLookup(t *testing.T) {
	doc := []byte(`{"a":1,"nested":{"a":2},"b\u0063":"x","scope":"s","\ud83d\ude00":true,"q\"\\":2}`)
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{
		{"a", "1", true},
		{"nested", `{"a":2}`, true},
		{"bc", `"x"`, true},
		{"b\\u0063", "", false},
		{"scope", `"s"`, true},
		{"Scope", "", false},
		{"SCOPE", "", false},
		{"\u017fcope", "", false},
		{"😀", "true", true},
		{`q"\`, "2", true},
		{`q\"\\`, "", false},
		{"missing", "", false},
		{"", "", false},
	} {
		v, ok := Lookup(doc, tt.name)
		if ok != tt.ok || string(v) != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.want, tt.ok)
		}
	}
	if _, ok := Lookup([]byte(`[{"a":1}]`), "a"); ok {
		t.Error("Lookup in an array found a member")
	}
	if _, ok := Lookup([]byte(`{"a":`), "a"); ok {
		t.Error("Lookup in a truncated object found a member")
	}
}

func TestZeroAllocs(t *testing.T) {
	claims, header := []byte(claimsDoc), []byte(headerDoc)
	// A 32-member object with nested small objects still takes no
	// allocation.
	wide := []byte(`{"a0":{"b":1,"c":[{"d":2,"e":3}]},"a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,"a9":9,` +
		`"b0":0,"b1":1,"b2":2,"b3":3,"b4":4,"b5":5,"b6":6,"b7":7,"b8":8,"b9":9,` +
		`"c0":0,"c1":1,"c2":2,"c3":3,"c4":4,"c5":5,"c6":6,"c7":7,"c8":8,"c9":9,"d0":"\u00e9","d1":1}`)
	if err := Valid(wide); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"claims": func() {
			if Valid(claims) != nil {
				panic("invalid")
			}
			it, _ := Object(claims)
			for {
				_, v, ok := it.Next()
				if !ok {
					break
				}
				if Kind(v) == '"' {
					if _, ok := Unquote(v); !ok {
						panic("unquote")
					}
				}
			}
			aud, _ := Lookup(claims, "aud")
			ait, _ := Array(aud)
			for {
				if _, ok := ait.Next(); !ok {
					break
				}
			}
			if _, ok := Lookup(claims, "scope"); !ok {
				panic("lookup")
			}
		},
		"header": func() {
			if Valid(header) != nil {
				panic("invalid")
			}
			alg, _ := Lookup(header, "alg")
			if s, ok := Unquote(alg); !ok || string(s) != "RS256" {
				panic("alg")
			}
			if _, ok := Lookup(header, "kid"); !ok {
				panic("kid")
			}
		},
		"wide": func() {
			if Valid(wide) != nil {
				panic("invalid")
			}
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}
