package authz_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// TestHeaderMemo: the headers of accepted tokens are remembered, those of
// refused ones never, and a remembered header changes no outcome: every
// token gets the same answer from a Validator that remembers its header as
// from one that does not.
func TestHeaderMemo(t *testing.T) {
	iss, err := authztest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	newV := func() *authz.Validator {
		v, err := authz.New([]authz.Issuer{iss.OIDC("api")}, authz.WithoutBackground())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		if err := v.Warm(bg); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := newV()
	kid := iss.CurrentKeyID("RS256")
	claims := iss.Claims("user-1", "api")
	good, err := iss.Mint(claims)
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Split(good, ".")[0]

	// Refused tokens leave nothing behind, whatever their header.
	forged := header + "." + strings.Split(good, ".")[1] + "." + strings.Repeat("A", 342)
	crit, _ := iss.MintRaw("RS256", []byte(`{"alg":"RS256","kid":"`+kid+`","crit":["exp"]}`), []byte(`{}`))
	other := rawToken(map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, make([]byte, 256))
	for _, tok := range []string{forged, crit, other, "a.b.c"} {
		if _, err := v.Validate(bg, tok); err == nil {
			t.Fatal("a refused token was accepted")
		}
	}
	if n := v.RememberedHeaders(); n != 0 {
		t.Fatalf("%d headers remembered after refused tokens only", n)
	}

	// An accepted token's header is remembered once.
	first, err := v.Validate(bg, good)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.RememberedHeaders(); n != 1 {
		t.Fatalf("%d headers remembered after one accepted token, want 1", n)
	}

	// The same header over other payloads and signatures: every outcome
	// equals a fresh Validator's, which must read the header itself.
	expired := iss.Claims("user-1", "api")
	expired["exp"] = 1
	wrongAud := iss.Claims("user-1", "other")
	dup, _ := iss.MintRaw("RS256", []byte(`{"alg":"RS256","kid":"`+kid+`"}`), []byte(`{"iss":"`+iss.URL()+`","aud":"api","exp":9999999999,"sub":"a","sub":"b"}`))
	tokens := []string{good, forged, dup}
	for _, c := range []map[string]any{claims, expired, wrongAud} {
		tok, err := iss.Mint(c)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok, tok[:len(tok)-4]+"AAAA")
	}
	if !strings.HasPrefix(dup, header+".") {
		t.Fatal("the raw token does not share the remembered header")
	}
	for i, tok := range tokens {
		fresh := newV()
		want, wantErr := fresh.Validate(bg, tok)
		got, gotErr := v.Validate(bg, tok)
		if outcome(got, gotErr) != outcome(want, wantErr) {
			t.Errorf("token %d: remembered header gives %s, a fresh Validator %s", i, outcome(got, gotErr), outcome(want, wantErr))
		}
	}
	again, err := v.Validate(bg, good)
	if err != nil || again.KeyID != first.KeyID || again.Algorithm != first.Algorithm || again.Type != first.Type || again.KeyID != kid {
		t.Fatalf("from the remembered header: %+v, %v; first %+v", again, err, first)
	}

	// The memo is bounded: many accepted headers fill at most its slots.
	for i := range 40 {
		tok, err := iss.MintRaw("RS256", []byte(fmt.Sprintf(`{"alg":"RS256","kid":%q,"x":%d}`, kid, i)), []byte(fmt.Sprintf(`{"iss":%q,"aud":"api","exp":9999999999}`, iss.URL())))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Validate(bg, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.RememberedHeaders(); n < 1 || n > 16 {
		t.Fatalf("%d headers remembered, want 1 to 16", n)
	}
}

// outcome summarises a validation for comparison: the reason of a
// refusal, or the claims the tests care about.
func outcome(c *authz.Claims, err error) string {
	if err != nil {
		var ve *authz.ValidationError
		if !errors.As(err, &ve) {
			return "untyped " + err.Error()
		}
		return "refused " + string(ve.Reason) + " " + ve.KeyID + " " + ve.Algorithm
	}
	return fmt.Sprintf("accepted %s %s %s %s %q %q", c.Subject, c.KeyID, c.Algorithm, c.Type, c.Scopes, c.Audience)
}
