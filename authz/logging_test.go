package authz_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestWithLogger: fetches and failures are logged with the issuer, URL and
// reason, and no token or claim ever reaches the log.
func TestWithLogger(t *testing.T) {
	iss := authztest.NewT(t)
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := newValidator(t, []authz.Issuer{iss.OIDC("api")}, authz.WithLogger(l))
	c := iss.Claims("secret-subject", "api")
	tok := mint(t, iss, c)
	if _, err := v.Validate(bg, tok); err != nil {
		t.Fatal(err)
	}
	iss.SetFailure(authztest.Fail5xx)
	_, _ = v.Validate(bg, mint(t, iss, c, authztest.WithKeyID("rotated")))
	out := buf.String()
	for _, want := range []string{"jwtguard: keys fetched", "reason=load", "level=WARN", "jwtguard: key fetch failed", "reason=unknown_kid", "issuer=" + iss.URL()} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{tok[:20], "secret-subject"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds token material %q", secret)
		}
	}
	if _, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithLogger(nil)); err == nil {
		t.Error("WithLogger(nil) accepted")
	}
}
