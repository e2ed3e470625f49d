package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/internal/strictjson"
)

// decoded is a token taken apart without any verification.
type decoded struct {
	header, payload []byte         // raw JSON, as in the token
	hdr, claims     map[string]any // numbers as json.Number
}

// decodeToken splits and decodes a compact JWS. It verifies nothing.
func decodeToken(tok string) (*decoded, error) {
	parts := strings.Split(tok, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, errors.New("this is an encrypted token (JWE, 5 parts): it cannot be read without the decryption key, and jwtguard accepts only signed JWTs. Auth0 issues JWE or opaque tokens when the token request names no API audience: request the token with audience=<your API identifier>")
	case 1:
		return nil, errors.New("this is not a JWT (no dots): probably an opaque access token, which only the issuer's introspection endpoint can check. Ask the IdP for a JWT access token (Auth0: request an API audience; Okta: use a custom authorization server)")
	default:
		return nil, fmt.Errorf("not a compact JWT: %d parts separated by dots, want 3 (header.payload.signature)", len(parts))
	}
	d := &decoded{}
	var err error
	if d.header, err = b64part(parts[0], "header"); err != nil {
		return nil, err
	}
	if d.payload, err = b64part(parts[1], "payload"); err != nil {
		return nil, err
	}
	if d.hdr, err = jsonObject(d.header, "header"); err != nil {
		return nil, err
	}
	if d.claims, err = jsonObject(d.payload, "payload"); err != nil {
		return nil, err
	}
	return d, nil
}

func b64part(s, what string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		if _, err2 := base64.URLEncoding.DecodeString(s); err2 == nil {
			return nil, fmt.Errorf("the %s is base64url with padding (=): JWTs use unpadded base64url (RFC 7515 §2)", what)
		}
		if _, err2 := base64.StdEncoding.DecodeString(s); err2 == nil {
			return nil, fmt.Errorf("the %s is standard base64 (+ /), not base64url (- _): the token was re-encoded on the way", what)
		}
		return nil, fmt.Errorf("the %s is not base64url: %v (was the token cut or wrapped when copied?)", what, err)
	}
	return b, nil
}

// jsonObject reads b with jwtguard's own strict decoder, so inspect shows
// what the Validator would read — and says so when the Validator would
// refuse it (a duplicate member name, invalid UTF-8), instead of showing
// one of two readings.
func jsonObject(b []byte, what string) (map[string]any, error) {
	v, err := strictjson.Value(b)
	if err != nil {
		return nil, fmt.Errorf("the %s is not strict JSON (%v): the Validator refuses it", what, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the %s is not a JSON object", what)
	}
	return m, nil
}

// str returns claims[name] as a string, if it is one.
func (d *decoded) str(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}

// audiences returns aud as a list.
func (d *decoded) audiences() []string {
	switch a := d.claims["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, e := range a {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// time returns a NumericDate claim.
func (d *decoded) time(name string) (time.Time, bool) {
	n, ok := d.claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

func runInspect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: jwtguard inspect [token|-]\n\nDecodes a token's header and claims. Verifies nothing, fetches nothing.")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	tok, err := readToken(fs.Args(), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "jwtguard inspect:", err)
		return exitUsage
	}
	d, err := decodeToken(tok)
	if err != nil {
		fmt.Fprintln(stderr, "jwtguard inspect:", err)
		return exitRejected
	}
	fmt.Fprintln(stdout, "NOT VERIFIED: decoded only. The signature, issuer and audience were not checked.")
	printDecoded(stdout, d, time.Now())
	return exitOK
}

// printDecoded writes the header, the claims and their times.
func printDecoded(w io.Writer, d *decoded, now time.Time) {
	fmt.Fprintln(w, "\nheader:")
	writeIndented(w, d.header)
	fmt.Fprintln(w, "\nclaims:")
	writeIndented(w, d.payload)
	printTimes(w, d, now)
}

func writeIndented(w io.Writer, raw []byte) {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "  ", "  "); err != nil {
		b.Reset()
		b.Write(raw)
	}
	fmt.Fprintf(w, "  %s\n", b.Bytes())
}

func printTimes(w io.Writer, d *decoded, now time.Time) {
	type row struct{ name, text string }
	var rows []row
	for _, name := range []string{"iat", "nbf", "auth_time", "exp"} {
		t, ok := d.time(name)
		if !ok {
			continue
		}
		rows = append(rows, row{name, fmt.Sprintf("%s  (%s)", t.UTC().Format("2006-01-02 15:04:05 MST"), relative(name, t, now))})
	}
	if _, ok := d.claims["exp"]; !ok {
		rows = append(rows, row{"exp", "none: the token never expires (jwtguard refuses such tokens)"})
	}
	fmt.Fprintf(w, "\ntimes (now %s):\n", now.UTC().Format("2006-01-02 15:04:05 MST"))
	for _, r := range rows {
		fmt.Fprintf(w, "  %-9s %s\n", r.name, r.text)
	}
}

// relative describes t against now for the claim name: "expired 3 h
// ago", "expires in 12 min", "issued 5 min ago".
func relative(name string, t, now time.Time) string {
	d := t.Sub(now)
	past := d < 0
	if past {
		d = -d
	}
	h := human(d)
	switch name {
	case "exp":
		if past {
			return "expired " + h + " ago"
		}
		return "expires in " + h
	case "nbf":
		if past {
			return "valid since " + h + " ago"
		}
		return "not valid for another " + h
	case "iat":
		if past {
			return "issued " + h + " ago"
		}
		return "issued " + h + " in the future: a clock is off"
	}
	if past {
		return h + " ago"
	}
	return "in " + h
}

// human renders d coarsely: "42 s", "12 min", "3 h", "3 h 20 min", "2 d".
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}
