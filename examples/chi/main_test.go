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
GET  /rooms/lobby/messages    200  caller alice, route /rooms/{room}/messages
GET  /rooms/lobby/messages    401  realm="api"
GET  /rooms/lobby/messages    401  realm="api", error="invalid_token", error_description="token has expired"
POST /rooms/lobby/messages    403  realm="api", error="insufficient_scope", scope="read:messages write:messages"
POST /rooms/lobby/messages    200  caller bob, route /rooms/{room}/messages
GET  /tenants/acme/settings   200  caller dave, route /tenants/{tenant}/settings
GET  /tenants/globex/settings 403  realm="api", error="insufficient_scope"
`
	if out.String() != strings.TrimPrefix(want, "\n") {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
