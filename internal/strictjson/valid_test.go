package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error // nil, or the sentinel
	}{
		// Grammar: accepted.
		{"object", `{"a":1}`, nil},
		{"empty object", `{}`, nil},
		{"empty array", `[]`, nil},
		{"nested empty", `[{},[],{"a":[]}]`, nil},
		{"string", `"x"`, nil},
		{"empty string", `""`, nil},
		{"true", `true`, nil},
		{"false", `false`, nil},
		{"null", `null`, nil},
		{"zero", `0`, nil},
		{"negative zero", `-0`, nil},
		{"negative zero fraction", `-0.0`, nil},
		{"integer", `1234567890`, nil},
		{"fraction", `1.5`, nil},
		{"exponent", `1e5`, nil},
		{"exponent upper", `1E5`, nil},
		{"exponent plus", `1e+5`, nil},
		{"exponent minus", `1e-5`, nil},
		{"zero exponent", `0e0`, nil},
		{"big exponent", `1e999999`, nil},
		{"long number", `123456789012345678901234567890.123456789e-1234`, nil},
		{"whitespace around", " \t\r\n{ \"a\" : [ 1 , 2 ] } \t\r\n", nil},
		{"all escapes", `"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC"`, nil},
		{"escaped nul", `"\u0000"`, nil},
		{"delete char", "\"\x7f\"", nil},

		// Grammar: rejected.
		{"empty input", ``, ErrSyntax},
		{"only whitespace", " \n\t", ErrSyntax},
		{"leading zero", `01`, ErrSyntax},
		{"leading zeros", `00`, ErrSyntax},
		{"negative leading zero", `-01`, ErrSyntax},
		{"lone minus", `-`, ErrSyntax},
		{"minus then dot", `-.5`, ErrSyntax},
		{"trailing dot", `1.`, ErrSyntax},
		{"leading dot", `.5`, ErrSyntax},
		{"bare exponent", `1e`, ErrSyntax},
		{"exponent sign only", `1e+`, ErrSyntax},
		{"exponent after dot", `1.e5`, ErrSyntax},
		{"plus sign", `+1`, ErrSyntax},
		{"hex", `0x10`, ErrSyntax},
		{"NaN", `NaN`, ErrSyntax},
		{"Infinity", `Infinity`, ErrSyntax},
		{"negative Infinity", `-Infinity`, ErrSyntax},
		{"trailing comma array", `[1,]`, ErrSyntax},
		{"trailing comma object", `{"a":1,}`, ErrSyntax},
		{"leading comma", `[,1]`, ErrSyntax},
		{"double comma", `[1,,2]`, ErrSyntax},
		{"missing comma", `[1 2]`, ErrSyntax},
		{"missing colon", `{"a" 1}`, ErrSyntax},
		{"missing value", `{"a":}`, ErrSyntax},
		{"unquoted name", `{a:1}`, ErrSyntax},
		{"number name", `{1:1}`, ErrSyntax},
		{"single quotes", `'a'`, ErrSyntax},
		{"single quoted name", `{'a':1}`, ErrSyntax},
		{"line comment", "{\"a\":1 // c\n}", ErrSyntax},
		{"block comment", `{"a":1 /* c */}`, ErrSyntax},
		{"hash comment", "# c\n1", ErrSyntax},
		{"raw newline in string", "\"a\nb\"", ErrSyntax},
		{"raw tab in string", "\"a\tb\"", ErrSyntax},
		{"raw nul in string", "\"a\x00b\"", ErrSyntax},
		{"raw 0x1f in string", "\"\x1f\"", ErrSyntax},
		{"bad escape", `"\x41"`, ErrSyntax},
		{"escaped single quote", `"\'"`, ErrSyntax},
		{"short unicode escape", `"\u41"`, ErrSyntax},
		{"bad hex", `"\u00g1"`, ErrSyntax},
		{"unterminated string", `"abc`, ErrSyntax},
		{"unterminated escape", `"abc\`, ErrSyntax},
		{"unterminated object", `{"a":1`, ErrSyntax},
		{"unterminated array", `[1`, ErrSyntax},
		{"mismatched close", `[1}`, ErrSyntax},
		{"mismatched close object", `{"a":1]`, ErrSyntax},
		{"extra close", `[1]]`, ErrSyntax},
		{"BOM", "\xef\xbb\xbf{}", ErrSyntax},
		{"trailing data", `{} {}`, ErrSyntax},
		{"trailing garbage", `1 x`, ErrSyntax},
		{"two values", `1 2`, ErrSyntax},
		{"trailing nul", "{}\x00", ErrSyntax},
		{"form feed whitespace", "\f{}", ErrSyntax},
		{"vertical tab whitespace", "\v{}", ErrSyntax},
		{"NBSP whitespace", "\u00a0{}", ErrSyntax},
		{"truncated true", `tru`, ErrSyntax},
		{"True", `True`, ErrSyntax},
		{"truex", `truex`, ErrSyntax},
		{"nulll", `nulll`, ErrSyntax},
		{"undefined", `undefined`, ErrSyntax},

		// UTF-8.
		{"valid 2-byte", "\"\u00e9\"", nil},
		{"valid 3-byte", "\"\u20ac\"", nil},
		{"valid 4-byte", "\"\U0001F600\"", nil},
		{"valid escaped pair", `"\ud83d\ude00"`, nil},
		{"valid escaped pair upper", `"\uD83D\uDE00"`, nil},
		{"escaped U+FFFD", `"\ufffd"`, nil},
		{"raw U+FFFD", "\"\ufffd\"", nil},
		{"overlong slash", "\"\xc0\xaf\"", ErrInvalidUTF8},
		{"overlong nul", "\"\xc0\x80\"", ErrInvalidUTF8},
		{"overlong 3-byte", "\"\xe0\x80\xaf\"", ErrInvalidUTF8},
		{"overlong 4-byte", "\"\xf0\x80\x80\xaf\"", ErrInvalidUTF8},
		{"raw high surrogate", "\"\xed\xa0\x80\"", ErrInvalidUTF8},
		{"raw low surrogate", "\"\xed\xbf\xbf\"", ErrInvalidUTF8},
		{"raw surrogate pair (CESU-8)", "\"\xed\xa0\xbd\xed\xb8\x80\"", ErrInvalidUTF8},
		{"above U+10FFFF", "\"\xf4\x90\x80\x80\"", ErrInvalidUTF8},
		{"lone continuation", "\"\x80\"", ErrInvalidUTF8},
		{"truncated 2-byte", "\"\xc3\"", ErrInvalidUTF8},
		{"truncated 4-byte", "\"\xf0\x9f\x98\"", ErrInvalidUTF8},
		{"0xff", "\"\xff\"", ErrInvalidUTF8},
		{"invalid in name", "{\"\xff\":1}", ErrInvalidUTF8},
		{"escaped lone high", `"\ud800"`, ErrInvalidUTF8},
		{"escaped lone low", `"\udc00"`, ErrInvalidUTF8},
		{"escaped reversed pair", `"\ude00\ud83d"`, ErrInvalidUTF8},
		{"escaped high then char", `"\ud83dx"`, ErrInvalidUTF8},
		{"escaped high then high", `"\ud83d\ud83d"`, ErrInvalidUTF8},
		{"escaped high then BMP escape", `"\ud83d\u0041"`, ErrInvalidUTF8},
		{"escaped high at end", `"\ud83d"`, ErrInvalidUTF8},
		{"escaped high then other escape", `"\ud83d\n"`, ErrInvalidUTF8},
		{"escaped lone surrogate in name", `{"\udfff":1}`, ErrInvalidUTF8},
		{"invalid UTF-8 outside string", "\xff", ErrSyntax},

		// Duplicates.
		{"duplicate", `{"a":1,"a":2}`, ErrDuplicate},
		{"duplicate different values", `{"exp":1,"nbf":2,"exp":"x"}`, ErrDuplicate},
		{"duplicate escaped equal", `{"ab":1,"a\u0062":2}`, ErrDuplicate},
		{"duplicate both escaped", `{"\u0061":1,"\u0061":2}`, ErrDuplicate},
		{"duplicate escaped slash", `{"a/b":1,"a\/b":2}`, ErrDuplicate},
		{"duplicate escaped pair", "{\"\U0001F600\":1,\"\\ud83d\\ude00\":2}", ErrDuplicate},
		{"duplicate empty name", `{"":1,"":2}`, ErrDuplicate},
		{"duplicate nested", `{"a":{"b":1,"b":2}}`, ErrDuplicate},
		{"duplicate after nested", `{"a":{"b":1},"c":2,"a":3}`, ErrDuplicate},
		{"duplicate in array of objects", `[{"a":1},{"a":1,"b":2,"a":3}]`, ErrDuplicate},
		{"duplicate deep", `[[[[{"x":[{"k":1,"k":1}]}]]]]`, ErrDuplicate},
		{"same name in sibling objects", `[{"a":1},{"a":2}]`, nil},
		{"same name at different levels", `{"a":{"a":{"a":1}}}`, nil},
		{"names differ by case", `{"scope":1,"Scope":2,"SCOPE":3}`, nil},
		{"names differ by fold", "{\"scope\":1,\"\u017fcope\":2}", nil},
		{"prefix names", `{"a":1,"ab":2,"abc":3}`, nil},
		{"escape differs", `{"a\u0062":1,"a\u0063":2}`, nil},
		{"nul vs empty", `{"":1,"\u0000":2}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Valid([]byte(tt.doc))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Valid(%q) = %v, want %v", tt.doc, err, tt.want)
			}
			if err != nil {
				checkOneSentinel(t, err)
			}
			// Where strictjson accepts, encoding/json accepts too.
			if err == nil && !json.Valid([]byte(tt.doc)) {
				t.Errorf("Valid accepts %q but encoding/json does not", tt.doc)
			}
		})
	}
}

// checkOneSentinel checks that err is an *Error matching exactly one
// sentinel.
func checkOneSentinel(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	n := 0
	for _, s := range []error{ErrSyntax, ErrInvalidUTF8, ErrDuplicate, ErrDepth, ErrType} {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %v matches %d sentinels", err, n)
	}
}

func TestValidOffset(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want int64
	}{
		{`{"a":1,"a":2}`, 7},
		{`[1,]`, 3},
		{`  x`, 2},
		{"[\"\xff\"]", 2},
		{`{"k":"\ud800"}`, 6},
	} {
		var e *Error
		if !errors.As(Valid([]byte(tt.doc)), &e) || e.Offset != tt.want {
			t.Errorf("Valid(%q) = %v, want offset %d", tt.doc, e, tt.want)
		}
	}
}

func TestValidDepth(t *testing.T) {
	nest := func(n int, open, close, inner string) []byte {
		return []byte(strings.Repeat(open, n) + inner + strings.Repeat(close, n))
	}
	for _, tt := range []struct {
		name string
		doc  []byte
		want error
	}{
		{"arrays at max", nest(MaxDepth, "[", "]", ""), nil},
		{"arrays over max", nest(MaxDepth+1, "[", "]", ""), ErrDepth},
		{"objects at max", nest(MaxDepth, `{"a":`, "}", "1"), nil},
		{"objects over max", nest(MaxDepth+1, `{"a":`, "}", "1"), ErrDepth},
		{"mixed over max", nest(MaxDepth/2+1, `[{"a":`, "}]", "1"), ErrDepth},
		{"unclosed far over max", []byte(strings.Repeat("[", 1<<20)), ErrDepth},
		{"closed far over max", nest(1<<20, "[", "]", ""), ErrDepth},
		{"wide at max", nest(MaxDepth-1, "[", "]", strings.Repeat("[],", 1000)+"[]"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Valid(tt.doc)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Valid = %v, want %v", err, tt.want)
			}
			// Value and Decode reject what Valid rejects.
			if _, verr := Value(tt.doc); !errors.Is(verr, tt.want) || (tt.want == nil) != (verr == nil) {
				t.Fatalf("Value error = %v, want %v", verr, tt.want)
			}
			var x any
			if derr := Decode(tt.doc, &x); !errors.Is(derr, tt.want) || (tt.want == nil) != (derr == nil) {
				t.Fatalf("Decode error = %v, want %v", derr, tt.want)
			}
		})
	}
}

// bigObject returns an object with n distinct members, and one whose last
// member repeats the first.
func wideObject(n int) (distinct, dup []byte) {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	distinct = []byte(b.String() + "}")
	dup = []byte(b.String() + `,"k0":0}`)
	return distinct, dup
}

func TestValidBigObject(t *testing.T) {
	// 50,000 members: names move from the fixed slots to a map, so this is
	// linear. A quadratic check would compare 1.25e9 pairs.
	distinct, dup := wideObject(50_000)
	if err := Valid(distinct); err != nil {
		t.Fatalf("Valid(50,000 distinct members) = %v", err)
	}
	if err := Valid(dup); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Valid(50,000 members, last repeats first) = %v, want ErrDuplicate", err)
	}
	// The duplicate straddling the switch to map mode, escaped.
	for n := smallObject - 2; n <= smallObject+2; n++ {
		for _, last := range []string{`"k0"`, `"k\u0030"`, `"k` + strconv.Itoa(n-1) + `"`} {
			d, _ := wideObject(n)
			doc := append(d[:len(d)-1:len(d)-1], []byte(","+last+":0}")...)
			if err := Valid(doc); !errors.Is(err, ErrDuplicate) {
				t.Errorf("n=%d last=%s: Valid = %v, want ErrDuplicate", n, last, err)
			}
		}
	}
	// Escaped names that were in slots when the object moved to a map.
	var b strings.Builder
	b.WriteString(`{"\u0061":0`)
	for i := range smallObject + 5 {
		b.WriteString(`,"b` + strconv.Itoa(i) + `":0`)
	}
	if err := Valid([]byte(b.String() + `,"a":1}`)); !errors.Is(err, ErrDuplicate) {
		t.Errorf("escaped name moved to map: Valid = %v, want ErrDuplicate", err)
	}
	if err := Valid([]byte(b.String() + `,"\u0062":1}`)); err != nil {
		t.Errorf("Valid = %v, want nil", err)
	}
}

func TestValidSlotsExhausted(t *testing.T) {
	// More open names than the fixed slot stack holds: inner objects fall
	// back to maps and duplicates are still found at every level.
	var b strings.Builder
	levels := numSlots/smallObject + 3
	for range levels {
		b.WriteString("{")
		for j := range smallObject - 1 {
			b.WriteString(`"m` + strconv.Itoa(j) + `":0,`)
		}
		b.WriteString(`"x":`)
	}
	prefix := b.String()
	ok := prefix + "1" + strings.Repeat("}", levels)
	if err := Valid([]byte(ok)); err != nil {
		t.Fatalf("Valid = %v", err)
	}
	dupInner := prefix + `{"m1":0,"m1":0}` + strings.Repeat("}", levels)
	if err := Valid([]byte(dupInner)); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("innermost duplicate: Valid = %v", err)
	}
	dupOuter := prefix + "1" + strings.Repeat(`,"m3":1}`, levels)
	if err := Valid([]byte(dupOuter)); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("outer duplicate: Valid = %v", err)
	}
}

func TestValidBigObjectHashCollisions(t *testing.T) {
	// Every name hashes alike: the names that collide are still told apart,
	// and duplicates among them are still found.
	defer func(h func([]byte) uint64) { hashName = h }(hashName)
	hashName = func([]byte) uint64 { return 42 }
	distinct, dup := wideObject(200)
	if err := Valid(distinct); err != nil {
		t.Fatalf("Valid(distinct) = %v", err)
	}
	if err := Valid(dup); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Valid(first name repeated) = %v, want ErrDuplicate", err)
	}
	d, _ := wideObject(200)
	last := append(d[:len(d)-1:len(d)-1], []byte(`,"k\u0031\u00399":0}`)...) // k199, escaped
	if err := Valid(last); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Valid(collided name repeated) = %v, want ErrDuplicate", err)
	}
}

// TestValidRandomWideObjects checks duplicate detection in objects around
// and beyond the slot limits against a plain set, with randomly escaped
// names, at random nesting.
func TestValidRandomWideObjects(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	escape := func(name string) string {
		var b strings.Builder
		for _, c := range name {
			switch rng.IntN(3) {
			case 0:
				fmt.Fprintf(&b, `\u%04x`, c)
			case 1:
				if c == 'a' {
					b.WriteString(`\u0061`)
					continue
				}
				fallthrough
			default:
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	// object returns a random object and whether it, or one nested in it,
	// has a duplicate.
	var object func(depth int) (string, bool)
	object = func(depth int) (string, bool) {
		n := rng.IntN(3 * smallObject)
		// Distinct names from a small alphabet, escaped at random, and
		// sometimes one planted duplicate.
		names := make([]string, n)
		for i, p := range rng.Perm(243)[:n] {
			var name string
			for range 5 {
				name += []string{"a", "b", "é"}[p%3]
				p /= 3
			}
			names[i] = name
		}
		dup := false
		if n >= 2 && rng.IntN(2) == 0 {
			j := 1 + rng.IntN(n-1)
			names[j] = names[rng.IntN(j)]
			dup = true
		}
		var b strings.Builder
		b.WriteString("{")
		for i, name := range names {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + escape(name) + `":`)
			if depth < 3 && rng.IntN(32) == 0 {
				inner, innerDup := object(depth + 1)
				dup = dup || innerDup
				b.WriteString(inner)
			} else {
				b.WriteString("0")
			}
		}
		b.WriteString("}")
		return b.String(), dup
	}
	for range 1000 {
		doc, dup := object(0)
		err := Valid([]byte(doc))
		if dup != errors.Is(err, ErrDuplicate) || !dup && err != nil {
			t.Fatalf("Valid(%s) = %v, want duplicate %v", doc, err, dup)
		}
	}
}

func TestValidLongNames(t *testing.T) {
	// Names too long for a slot put their object in map mode.
	long := strings.Repeat("n", 70_000)
	for _, tt := range []struct {
		doc  string
		want error
	}{
		{`{"` + long + `":1,"` + long + `x":2}`, nil},
		{`{"` + long + `":1,"` + long + `":2}`, ErrDuplicate},
		{`{"a":1,"` + long + `":1,"a":2}`, ErrDuplicate},
		{`{"a":1,"` + long + `":1,"` + long[1:] + `\u006e":2}`, ErrDuplicate},
		{`[{"` + long + `":{"a":1,"a":2}}]`, ErrDuplicate},
		{`[{"` + long + `":1},{"` + long + `":1}]`, nil},
	} {
		if err := Valid([]byte(tt.doc)); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("Valid(%.40q...) = %v, want %v", tt.doc, err, tt.want)
		}
	}
}
