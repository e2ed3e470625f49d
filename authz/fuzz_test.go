package authz_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// FuzzValidate feeds arbitrary strings to Validate: it must never panic,
// and every rejection must be a *ValidationError with a known sentinel.
// Each answer is also compared with a second Validator's whose memo of
// token headers is emptied before every call: a remembered header must
// never change an outcome.
func FuzzValidate(f *testing.F) {
	iss, err := authztest.New()
	if err != nil {
		f.Fatal(err)
	}
	defer iss.Close()
	v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		f.Fatal(err)
	}
	defer v.Close()
	cold, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
	if err != nil {
		f.Fatal(err)
	}
	defer cold.Close()
	good, _ := iss.Mint(iss.Claims("u", "api"))
	es, _ := iss.Mint(iss.Claims("u", "api"), authztest.WithAlg("ES256"))
	for _, w := range []*authz.Validator{v, cold} {
		if err := w.Warm(bg); err != nil {
			f.Fatal(err)
		}
	}
	for _, tok := range []string{good, es} { // v remembers their headers
		if _, err := v.Validate(bg, tok); err != nil {
			f.Fatal(err)
		}
	}
	p := strings.Split(good, ".")
	for _, s := range []string{good, es, "", ".", "..", "a.b.c", p[0] + "." + p[1] + ".", p[0] + ".." + p[2],
		rawToken(map[string]any{"alg": "none"}, map[string]any{"iss": iss.URL()}, nil),
		rawToken(map[string]any{"alg": "RS256", "crit": []string{"x"}}, map[string]any{}, []byte{1}),
		rawToken(map[string]any{"alg": "ES256"}, map[string]any{"iss": iss.URL(), "aud": "api", "exp": 1e300}, make([]byte, 64)),
		rawToken(map[string]any{"alg": "RS256"}, map[string]any{"iss": iss.URL(), "aud": []any{1, nil}, "exp": "x"}, []byte{1}),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Validate(bg, token)
		cold.ForgetHeaders()
		if got, want := outcome(c, err), outcome(cold.Validate(bg, token)); got != want {
			t.Fatalf("with remembered headers %s, without %s", got, want)
		}
		if err == nil {
			if c == nil {
				t.Fatal("nil claims without error")
			}
			return
		}
		var ve *authz.ValidationError
		if !errors.As(err, &ve) || ve.Reason == "" {
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}
