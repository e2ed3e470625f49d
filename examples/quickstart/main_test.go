package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := `good token     200  hello alice
no token       401  no error code: Bearer realm="api"
expired token  401  invalid_token: token has expired
forged token   401  invalid_token: signature is invalid
missing scope  403  insufficient_scope: requires scope read:messages
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestChallengeParams(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"realm only", `Bearer realm="api"`, map[string]string{"realm": "api"}},
		{"several", `Bearer realm="api", error="invalid_token", error_description="token has expired"`,
			map[string]string{"realm": "api", "error": "invalid_token", "error_description": "token has expired"}},
		{"escapes", `Bearer realm="a \"b\" \\ c", scope="x y"`, map[string]string{"realm": `a "b" \ c`, "scope": "x y"}},
		{"unterminated", `Bearer realm="api`, map[string]string{"realm": "api"}},
		{"token68 form", `Bearer abc`, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := challengeParams(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "(no WWW-Authenticate)"},
		{`Bearer realm="api"`, `no error code: Bearer realm="api"`},
		{`Bearer realm="api", error="invalid_token", error_description="token has expired"`, "invalid_token: token has expired"},
		{`Bearer realm="api", error="invalid_token"`, "invalid_token"},
		{`Bearer realm="api", error="insufficient_scope", scope="a b"`, "insufficient_scope: requires scope a b"},
	}
	for _, tt := range tests {
		if got := reason(tt.in); got != tt.want {
			t.Errorf("reason(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
