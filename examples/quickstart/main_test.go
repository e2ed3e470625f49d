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
no token       401  Bearer realm="api"
expired token  401  Bearer realm="api", error="invalid_token", error_description="token has expired"
forged token   401  Bearer realm="api", error="invalid_token", error_description="signature is invalid"
missing scope  403  Bearer realm="api", error="insufficient_scope", scope="read:messages"
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
