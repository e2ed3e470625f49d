package strictjson

import (
	"bytes"
	"errors"
	"testing"
)

func TestValidObject(t *testing.T) {
	type want struct{ name, value string }
	tests := []struct {
		doc     string
		members []want
		err     error
	}{
		{doc: `{}`},
		{doc: ` { } `},
		{doc: `{"a":1}`, members: []want{{"a", "1"}}},
		{doc: ` {"a" : "x" , "b":[1,{"c":"}"}], "d":{"e":null} ,"f": true } `,
			members: []want{{"a", `"x"`}, {"b", `[1,{"c":"}"}]`}, {"d", `{"e":null}`}, {"f", "true"}}},
		{doc: `{"a\u0062":"\u0041","c":{},"d":[]}`, members: []want{{`a\u0062`, `"\u0041"`}, {"c", "{}"}, {"d", "[]"}}},
		{doc: `[]`, err: ErrType},
		{doc: `"x"`, err: ErrType},
		{doc: `1`, err: ErrType},
		{doc: ``, err: ErrSyntax},
		{doc: `{"a":1,"a":2}`, err: ErrDuplicate},
		{doc: `{"ab":1,"a\u0062":2}`, err: ErrDuplicate},
		{doc: `{"a":{"b":1,"b":2}}`, err: ErrDuplicate},
		{doc: "{\"a\":\"\xff\"}", err: ErrInvalidUTF8},
		{doc: `{"a":1}x`, err: ErrSyntax},
		{doc: `{"a":1,}`, err: ErrSyntax},
		{doc: `[{"a":1}]`, err: ErrType},
	}
	for _, tt := range tests {
		var buf [2]Member // fewer than some documents have: append grows it
		doc := []byte(tt.doc)
		got, err := ValidObject(doc, buf[:0])
		if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("ValidObject(%q) error %v, want %v", tt.doc, err, tt.err)
			continue
		}
		if err != nil {
			if len(got) != 0 {
				t.Errorf("ValidObject(%q) failed but returned %d members", tt.doc, len(got))
			}
			continue
		}
		if len(got) != len(tt.members) {
			t.Errorf("ValidObject(%q) = %d members, want %d", tt.doc, len(got), len(tt.members))
			continue
		}
		for i, w := range tt.members {
			if string(got[i].Name(doc)) != w.name || string(got[i].Value(doc)) != w.value {
				t.Errorf("ValidObject(%q) member %d = %q: %q, want %q: %q", tt.doc, i, got[i].Name(doc), got[i].Value(doc), w.name, w.value)
			}
		}
	}
}

func TestMemberIsAndString(t *testing.T) {
	doc := []byte(`{"ab":"x","a\u0062c":"y\u0041","\u017f":1,"n":null,"s":"a\"b"}`)
	ms, err := ValidObject(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	is := func(i int, name string, want bool) {
		t.Helper()
		if got := ms[i].Is(doc, name); got != want {
			t.Errorf("member %d (%q).Is(%q) = %v, want %v", i, ms[i].Name(doc), name, got, want)
		}
	}
	is(0, "ab", true)
	is(0, "AB", false)
	is(0, "a", false)
	is(1, "abc", true)
	is(1, "ab", false)
	is(1, `a\u0062c`, false) // the raw spelling is not the name
	is(2, "s", false)        // no folding: U+017F is not "s"
	is(2, "\u017f", true)
	for i, want := range []string{"x", "yA", "", "", `a"b`} {
		s, ok := ms[i].String(doc)
		if wantOK := i != 2 && i != 3; ok != wantOK || string(s) != want {
			t.Errorf("member %d String() = %q, %v; want %q, %v", i, s, ok, want, wantOK)
		}
	}
}

func TestValidObjectZeroAllocs(t *testing.T) {
	doc := []byte(claimsDoc)
	var buf [16]Member
	if n := testing.AllocsPerRun(100, func() {
		if _, err := ValidObject(doc, buf[:0]); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ValidObject of the claims allocates %v times", n)
	}
}

// FuzzValidObject checks ValidObject against Valid and the iterator: it
// accepts exactly the objects Valid accepts, and reports the members the
// iterator walks, with the same names, values and strings.
func FuzzValidObject(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var room [20]Member // the single pass, as Validate gives it room
		ms, err := ValidObject(doc, room[:0])
		if walked, werr := ValidObject(doc, nil); (werr == nil) != (err == nil) || len(walked) != len(ms) {
			t.Fatalf("without room: %v, %d members; with room: %v, %d", werr, len(walked), err, len(ms))
		} else {
			for i := range ms {
				if walked[i] != ms[i] {
					t.Fatalf("member %d: %+v without room, %+v with", i, walked[i], ms[i])
				}
			}
		}
		verr := Valid(doc)
		isObj := verr == nil && Kind(doc) == '{'
		if (err == nil) != isObj {
			t.Fatalf("ValidObject error %v; Valid %v, Kind %q", err, verr, Kind(doc))
		}
		if err != nil {
			checkOneSentinel(t, err)
			if verr != nil && !errors.Is(err, errors.Unwrap(verr)) {
				t.Fatalf("ValidObject error %v, Valid %v", err, verr)
			}
			return
		}
		it, _ := Object(doc)
		for i := 0; ; i++ {
			raw, v, ok := it.nextRaw()
			if !ok {
				if i != len(ms) {
					t.Fatalf("iterator ended after %d members, ValidObject found %d", i, len(ms))
				}
				break
			}
			if i >= len(ms) {
				t.Fatalf("ValidObject found %d members, iterator more", len(ms))
			}
			m := ms[i]
			if !bytes.Equal(m.Name(doc), raw) || !bytes.Equal(m.Value(doc), v) {
				t.Fatalf("member %d = %q: %q, iterator %q: %q", i, m.Name(doc), m.Value(doc), raw, v)
			}
			name, ok := appendUnescaped(nil, raw)
			if !ok || !m.Is(doc, string(name)) || !bytes.Equal(m.Key(doc), name) {
				t.Fatalf("member %d does not match its unescaped name %q", i, name)
			}
			if m.Is(doc, string(name)+"x") {
				t.Fatalf("member %d matches a longer name", i)
			}
			// The walk taken when the room is too small agrees.
			var one [1]Member
			if few, err := ValidObject(doc, one[:0]); err != nil || len(few) != len(ms) || few[i] != m {
				t.Fatalf("with room for one member: %v, %d members", err, len(few))
			}
			s, sok := m.String(doc)
			u, uok := Unquote(v)
			if sok != (Kind(v) == '"') || sok != uok || !bytes.Equal(s, u) {
				t.Fatalf("member %d String() = %q, %v; Unquote %q, %v", i, s, sok, u, uok)
			}
		}
	})
}

// FuzzValidString: on every string value of a valid document (members,
// array elements, nested values) ValidString reads what Unquote reads.
func FuzzValidString(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if Valid(doc) != nil {
			return
		}
		var visit func(v []byte)
		visit = func(v []byte) {
			got, gok := ValidString(v)
			want, wok := Unquote(v)
			if wok && Kind(v) != '"' {
				t.Fatalf("Unquote reads a non-string %q", v)
			}
			if gok != wok || !bytes.Equal(got, want) {
				t.Fatalf("ValidString(%q) = %q, %v; Unquote %q, %v", v, got, gok, want, wok)
			}
			switch Kind(v) {
			case '{':
				it, _ := Object(v)
				for {
					_, e, ok := it.Next()
					if !ok {
						break
					}
					visit(e)
				}
			case '[':
				it, _ := Array(v)
				for {
					e, ok := it.Next()
					if !ok {
						break
					}
					visit(e)
				}
			}
		}
		visit(bytes.TrimSpace(doc))
	})
}

// auth0Claims is a larger access token's payload: namespaced claims,
// arrays of permissions, two audiences.
const auth0Claims = `{"https://example.com/roles":["admin","editor"],"https://example.com/email":"user@example.com","iss":"https://example.us.auth0.com/","sub":"auth0|64f1c2d3e5a6b7c8d9e0f1a2","aud":["https://api.example.com","https://example.us.auth0.com/userinfo"],"iat":1767222000,"exp":1767308400,"azp":"AbCdEfGhIjKlMnOpQrStUvWxYz012345","scope":"openid profile email read:messages write:messages","org_id":"org_a1b2c3d4e5f6g7h8","permissions":["read:messages","write:messages","delete:messages","read:users","admin:all"]}`

func BenchmarkValidObject(b *testing.B) {
	for _, doc := range []struct{ name, doc string }{{"claims", claimsDoc}, {"auth0", auth0Claims}} {
		b.Run(doc.name, func(b *testing.B) {
			d := []byte(doc.doc)
			var room [20]Member
			b.SetBytes(int64(len(d)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ValidObject(d, room[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
