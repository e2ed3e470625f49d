package nethttp

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
	tests := []struct {
		name    string
		values  []string
		want    string
		wantErr error
	}{
		{name: "no header", values: nil, want: ""},
		{name: "empty", values: []string{""}, want: ""},
		{name: "white space only", values: []string{" \t "}, want: ""},
		{name: "bearer", values: []string{"Bearer " + jwt}, want: jwt},
		{name: "lower case", values: []string{"bearer " + jwt}, want: jwt},
		{name: "upper case", values: []string{"BEARER " + jwt}, want: jwt},
		{name: "mixed case", values: []string{"bEaReR " + jwt}, want: jwt},
		{name: "several spaces", values: []string{"Bearer   " + jwt}, want: jwt},
		{name: "surrounding white space", values: []string{" Bearer " + jwt + " \t"}, want: jwt},
		{name: "b64token characters", values: []string{"Bearer aZ09-._~+/=="}, want: "aZ09-._~+/=="},
		{name: "basic", values: []string{"Basic dXNlcjpwYXNz"}, want: ""},
		{name: "scheme prefix", values: []string{"Bearerx " + jwt}, want: ""},
		{name: "scheme only of another kind", values: []string{"Negotiate"}, want: ""},
		{name: "bearer alone", values: []string{"Bearer"}, wantErr: errMalformedHeader},
		{name: "bearer alone lower case", values: []string{"bearer"}, wantErr: errMalformedHeader},
		{name: "two tokens", values: []string{"Bearer a b"}, wantErr: errMalformedHeader},
		{name: "tab separator", values: []string{"Bearer\t" + jwt}, wantErr: errMalformedHeader},
		{name: "space then tab", values: []string{"Bearer \t" + jwt}, wantErr: errMalformedHeader},
		{name: "padding only", values: []string{"Bearer =="}, wantErr: errMalformedHeader},
		{name: "padding in the middle", values: []string{"Bearer ab=cd"}, wantErr: errMalformedHeader},
		{name: "comma", values: []string{"Bearer a,b"}, wantErr: errMalformedHeader},
		{name: "quoted", values: []string{`Bearer "` + jwt + `"`}, wantErr: errMalformedHeader},
		{name: "auth params", values: []string{`Bearer token="x"`}, wantErr: errMalformedHeader},
		{name: "non-ASCII", values: []string{"Bearer tök"}, wantErr: errMalformedHeader},
		{name: "two headers", values: []string{"Bearer " + jwt, "Bearer " + jwt}, wantErr: errMultipleHeaders},
		{name: "two headers, one empty", values: []string{"Bearer " + jwt, ""}, wantErr: errMultipleHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.values)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("ParseAuthorization(%q) = %q, %v; want %q, %v", tt.values, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("%v does not match ErrInvalidRequest", err)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "bearer abc", "BEARER a.b.c", "Bearer a b", "Bearer\tx", "Basic dXNlcg==",
		"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Bearer ==", "Bearer a==", "Bearer a=b", " Bearer  x ",
		"Bearer é", "Bearer \x00", "B", "Bearerbearer x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, err := ParseAuthorization([]string{v})
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q with error %v", tok, err)
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v does not match ErrInvalidRequest", err)
			}
			return
		}
		if tok == "" {
			return
		}
		if !isB64Token(tok) || strings.ContainsAny(tok, " \t\r\n\"") {
			t.Fatalf("token %q from %q is not a b64token", tok, v)
		}
		if !strings.HasSuffix(v, tok) && !strings.HasSuffix(strings.TrimRight(v, " \t"), tok) {
			t.Fatalf("token %q is not the end of %q", tok, v)
		}
		// The token parses back to itself under any casing of the scheme.
		for _, s := range []string{"Bearer ", "bearer ", "BEARER  "} {
			if again, err := ParseAuthorization([]string{s + tok}); err != nil || again != tok {
				t.Fatalf("%q: %q, %v", s+tok, again, err)
			}
		}
		// Two headers are always refused.
		if _, err := ParseAuthorization([]string{v, v}); !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("two headers %q accepted", v)
		}
	})
}

// b64tokenGrammar is RFC 6750's b64token rule, written as the grammar
// reads: the reference isB64Token's table is checked against.
func b64tokenGrammar(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for _, c := range []byte(body) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}

func TestIsB64TokenGrammar(t *testing.T) {
	tests := []string{"", "=", "a", "a=", "a==", "=a", "a=b", "abcd", "abcd=", "abc.def_ghi-jkl~mno+pqr/stu==",
		"abc d", "abcdefg\n", "abcdefgh\x80", "é", "abcdéfgh", "abcdefghijklmnop=q", "abcdefghijkl\x00nop"}
	for c := range 256 { // every byte, at every position of a 4-byte group
		for pos := range 5 {
			b := []byte("abcde")
			b[pos] = byte(c)
			tests = append(tests, string(b), string(b)+"=")
		}
	}
	for _, s := range tests {
		if got, want := isB64Token(s), b64tokenGrammar(s); got != want {
			t.Errorf("isB64Token(%q) = %v, the grammar says %v", s, got, want)
		}
	}
}

func FuzzIsB64Token(f *testing.F) {
	f.Add("abcd.efgh_ij==")
	f.Add("abc=d")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isB64Token(s), b64tokenGrammar(s); got != want {
			t.Fatalf("isB64Token(%q) = %v, the grammar says %v", s, got, want)
		}
	})
}

func BenchmarkIsB64Token(b *testing.B) {
	tok := strings.Repeat("eyJhbGciOiJSUzI1NiIsImtpZCI6IlJTMjU2LTQifQ.", 16)[:680]
	for b.Loop() {
		if !isB64Token(tok) {
			b.Fatal("not a b64token")
		}
	}
}
