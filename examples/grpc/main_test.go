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
	want := `
Check  OK               caller anonymous
List   Unauthenticated  "no bearer token" Bearer realm="api"
List   Unauthenticated  "token has expired" Bearer realm="api", error="invalid_token", error_description="token has expired"
List   OK               caller alice
Watch  PermissionDenied "insufficient scope: requires health:read health:watch" Bearer realm="api", error="insufficient_scope", scope="health:read health:watch"
Watch  OK               caller bob
`
	if out.String() != strings.TrimPrefix(want, "\n") {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
