package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
)

// listFlag is a repeatable flag; each use may also hold a comma-separated
// list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		is         config.Issuer
		auds, tens listFlag
		scopes     listFlag
		cfgPath    string
		timeout    time.Duration
	)
	fs.StringVar(&cfgPath, "config", "", "take the issuers from this jwtguard serve configuration `file`")
	fs.StringVar(&is.Preset, "preset", "oidc", "issuer preset: "+strings.Join(config.Presets, ", "))
	fs.StringVar(&is.Issuer, "issuer", "", "issuer `URL`, exactly as in the tokens' iss (preset oidc)")
	fs.Var(&auds, "audience", "accepted audience (repeat or comma-separate): API identifier (auth0) or client ID (okta, entra, google)")
	fs.StringVar(&is.Domain, "domain", "", "tenant or custom domain (auth0, okta)")
	fs.StringVar(&is.AuthServer, "auth-server", "", "authorization server ID (okta) [default]")
	fs.StringVar(&is.ProjectID, "project", "", "project ID (descope)")
	fs.StringVar(&is.BaseURL, "base-url", "", "API base URL (descope, default from the project ID) or server URL (keycloak)")
	fs.StringVar(&is.Realm, "realm", "", "realm (keycloak)")
	fs.Var(&tens, "tenant", "allowed tenant ID (entra; repeat or comma-separate)")
	fs.StringVar(&is.JWKSURL, "jwks-url", "", "fetch the keys from this `URL` instead of the preset's")
	fs.StringVar(&is.DiscoveryURL, "discovery-url", "", "find the keys through this discovery document `URL`")
	fs.DurationVar(&is.Leeway, "leeway", 0, "clock skew tolerated on exp, nbf and iat [30s]")
	fs.Var(&scopes, "scope", "also require these scopes (repeat or comma-separate)")
	fs.DurationVar(&timeout, "timeout", 10*time.Second, "bound on fetching the issuer's keys")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: jwtguard verify [flags] [token|-]\n\nVerifies a token with the real validator and explains a rejection.\nExit codes: 0 valid, 1 rejected, 2 keys unavailable, 64 usage.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	tok, err := readToken(fs.Args(), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "jwtguard verify:", err)
		return exitUsage
	}
	var issuers []authz.Issuer
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err == nil {
			issuers, err = cfg.AuthzIssuers()
		}
		if err != nil {
			fmt.Fprintln(stderr, "jwtguard verify:", err)
			return exitUsage
		}
	} else {
		is.Audiences, is.Tenants = auds, tens
		issuers, err = is.Build()
		if err != nil {
			fmt.Fprintln(stderr, "jwtguard verify:", err)
			return exitUsage
		}
	}
	client := &http.Client{Timeout: timeout}
	v, err := authz.New(issuers, authz.WithoutBackground(), authz.WithHTTPClient(client))
	if err != nil {
		fmt.Fprintln(stderr, "jwtguard verify:", err)
		return exitUsage
	}
	defer v.Close()
	var policy authz.Policy
	if len(scopes) > 0 {
		if policy, err = scopePolicy(scopes); err != nil {
			fmt.Fprintln(stderr, "jwtguard verify:", err)
			return exitUsage
		}
	}

	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	claims, err := v.Validate(vctx, tok)
	if err == nil && policy != nil {
		err = policy.Check(vctx, claims)
	}
	d, _ := decodeToken(tok)
	now := time.Now()
	if err == nil {
		fmt.Fprintf(stdout, "VALID: issuer %s, key %q (%s)\n", claims.IssuerName, claims.KeyID, claims.Algorithm)
		if len(claims.Scopes) > 0 {
			fmt.Fprintf(stdout, "scopes: %s\n", strings.Join(claims.Scopes, " "))
		}
		if d != nil {
			printDecoded(stdout, d, now)
		}
		return exitOK
	}
	ex := explain(vctx, err, tok, d, issuers, client, now)
	fmt.Fprintf(stdout, "REJECTED: %s\n  check:  %s\n  error:  %v\n  hint:   %s\n", ex.code, ex.check, err, ex.hint)
	if d != nil {
		fmt.Fprintln(stdout, "\nthe token, decoded (NOT VERIFIED):")
		printDecoded(stdout, d, now)
	}
	if errors.Is(err, authz.ErrKeysUnavailable) {
		return exitUnavailable
	}
	return exitRejected
}

func scopePolicy(scopes []string) (p authz.Policy, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("--scope: %v", r)
		}
	}()
	return authz.RequireScopes(scopes...), nil
}

// explanation is what verify says about a rejection.
type explanation struct {
	code  string // the reason code, or "forbidden"
	check string // the check that failed
	hint  string // what to do about it
}

var checks = map[authz.Reason]string{
	authz.ReasonMissing:         "token: present",
	authz.ReasonTooLarge:        "form: size limit",
	authz.ReasonMalformed:       "form: compact JWS, three base64url parts of strict JSON",
	authz.ReasonAlgorithm:       "header: alg allowed for the issuer",
	authz.ReasonCritical:        "header: no unsupported crit extension",
	authz.ReasonUnknownIssuer:   "issuer: iss equals a configured issuer exactly",
	authz.ReasonUnknownKey:      "key: the token's kid is in the issuer's key set",
	authz.ReasonSignature:       "signature: verifies with the issuer's key",
	authz.ReasonExpired:         "time: exp is in the future (with leeway)",
	authz.ReasonMissingExp:      "time: exp is present",
	authz.ReasonNotYetValid:     "time: nbf is not in the future (with leeway)",
	authz.ReasonIssuedInFuture:  "time: iat is not in the future (with leeway)",
	authz.ReasonAudience:        "audience: aud names a configured audience",
	authz.ReasonType:            "type: the typ header is one the issuer requires",
	authz.ReasonClaims:          "claims: claim types and the issuer's own checks",
	authz.ReasonKeysUnavailable: "keys: the issuer's key set can be fetched",
}

// explain turns a Validate or policy error into words a person can act
// on. d is the token decoded without verification (nil when it cannot
// be).
func explain(ctx context.Context, err error, tok string, d *decoded, issuers []authz.Issuer, client *http.Client, now time.Time) explanation {
	var pe *authz.PolicyError
	if errors.As(err, &pe) {
		granted := "none"
		if d != nil {
			if s := scopesOf(d); s != "" {
				granted = s
			}
		}
		return explanation{"forbidden", "policy: the token grants what is required",
			fmt.Sprintf("the token is valid but does not grant %s (its scopes: %s). Request the token with that scope, or grant it to the client or user at the IdP.", pe.Requirement, granted)}
	}
	var ve *authz.ValidationError
	if !errors.As(err, &ve) {
		return explanation{"error", "?", err.Error()}
	}
	ex := explanation{code: string(ve.Reason), check: checks[ve.Reason]}
	iss := findIssuer(issuers, ve.Issuer)
	leeway := authz.DefaultLeeway
	if iss != nil && iss.Leeway != 0 {
		leeway = max(iss.Leeway, 0)
	}
	switch ve.Reason {
	case authz.ReasonMalformed:
		if _, derr := decodeToken(tok); derr != nil {
			ex.hint = derr.Error() + "."
		} else {
			ex.hint = "the token decodes, but not strictly: jwtguard refuses duplicate JSON member names, invalid UTF-8, a header without alg or with a non-string kid, and an empty signature (alg none)."
		}
	case authz.ReasonTooLarge:
		ex.hint = fmt.Sprintf("the token is %d bytes, over the %d-byte limit: it probably carries many roles or tenants; trim the claims in the IdP's token template.", len(tok), authz.DefaultMaxTokenSize)
	case authz.ReasonAlgorithm:
		alg := d.strOr(true, "alg")
		switch {
		case strings.EqualFold(alg, "none"):
			ex.hint = `the token is unsigned (alg "none"): never accepted. Something between the IdP and you stripped the signature, or the token was forged.`
		case strings.HasPrefix(strings.ToUpper(alg), "HS"):
			ex.hint = fmt.Sprintf("the token is signed with %s, a shared secret (HMAC): jwtguard verifies only public-key signatures. Configure the IdP to sign access tokens with RS256 or ES256 (Auth0: the API's signing algorithm).", alg)
		default:
			allowed := authz.DefaultAlgorithms
			if iss != nil && len(iss.Algorithms) > 0 {
				allowed = iss.Algorithms
			}
			ex.hint = fmt.Sprintf("the token's alg %q is not among the issuer's algorithms (%s).", alg, strings.Join(allowed, ", "))
		}
	case authz.ReasonCritical:
		ex.hint = "the token's header lists a critical extension (crit) that jwtguard does not implement; such a token must be refused (RFC 7515 §4.1.11)."
	case authz.ReasonUnknownIssuer:
		ex.hint = issuerHint(d, issuers)
	case authz.ReasonAudience:
		ex.hint = audienceHint(d, iss)
	case authz.ReasonUnknownKey:
		ex.hint = keyHint(ctx, ve, iss, client)
	case authz.ReasonSignature:
		ex.hint = fmt.Sprintf("the issuer publishes a key with the token's kid %q, but the signature does not verify with it: the token was altered after signing, or signed by another key under the same kid (a forged token, or one from another environment whose keys reuse the IDs). Get a new token from the issuer.", ve.KeyID)
	case authz.ReasonExpired:
		exp, _ := d.timeOr("exp")
		ex.hint = fmt.Sprintf("the token expired at %s, %s ago (leeway %s). Get a new token (refresh the session).", exp.UTC().Format(time.RFC3339), human(now.Sub(exp)), leeway)
		if iat, ok := d.timeOr("iat"); ok && now.Sub(iat) < 2*time.Minute {
			ex.hint += fmt.Sprintf(" It was issued only %s ago, so the clocks disagree: this machine's clock is about %s ahead of the issuer's (clock skew); sync it with NTP.", human(now.Sub(iat)), human(now.Sub(exp)))
		}
	case authz.ReasonMissingExp:
		ex.hint = "the token has no exp claim: jwtguard requires every token to expire. Configure the IdP to issue expiring access tokens; an ID token or API key is not an access token."
	case authz.ReasonNotYetValid, authz.ReasonIssuedInFuture:
		name, what := "nbf", "becomes valid"
		if ve.Reason == authz.ReasonIssuedInFuture {
			name, what = "iat", "was issued"
		}
		t, _ := d.timeOr(name)
		skew := t.Sub(now)
		ex.hint = fmt.Sprintf("the token %s at %s (%s), %s ahead of this machine's clock (now %s), beyond the leeway of %s: clock skew of about %s. Sync this machine's clock (or the issuer's) with NTP; --leeway %s would tolerate it.",
			what, name, t.UTC().Format(time.RFC3339), human(skew), now.UTC().Format(time.RFC3339), leeway, human(skew), leewayFor(skew))
	case authz.ReasonType:
		want := []string{}
		if iss != nil {
			want = iss.Types
		}
		ex.hint = fmt.Sprintf("the token's typ is %q; the issuer requires one of %q. An ID token (typ JWT) is not an access token: send the access token.", d.strOr(true, "typ"), want)
	case authz.ReasonClaims:
		if d != nil && d.str(d.claims, "drn") == "DSR" {
			ex.hint = `this is a Descope refresh token (drn "DSR"): an API must receive the session token (sessionJwt, the DS cookie), never the refresh token (the DSR cookie). Send the session token.`
		} else if ve.Cause != nil {
			ex.hint = "a claim is refused: " + ve.Cause.Error() + "."
		} else {
			ex.hint = "a claim has the wrong JSON type (iss, sub, jti strings; exp, nbf, iat numbers; aud a string or array of strings)."
		}
	case authz.ReasonKeysUnavailable:
		name := ve.Issuer
		if iss != nil {
			name = iss.Name + " (" + iss.URL + ")"
		}
		ex.hint = fmt.Sprintf("the keys of issuer %s could not be fetched: %v. Check that this machine reaches the issuer, and the issuer URL, --jwks-url or discovery document. Not the token's fault: a server answers 503 here.", name, ve.Cause)
	default:
		ex.hint = ve.Description()
	}
	return ex
}

// leewayFor suggests a --leeway value covering skew: whole minutes, rounded
// up.
func leewayFor(skew time.Duration) string {
	return strconv.Itoa(int((skew+time.Minute-1)/time.Minute)) + "m"
}

// strOr returns a header (header true) or claim string of a possibly nil
// decoded token.
func (d *decoded) strOr(header bool, name string) string {
	if d == nil {
		return ""
	}
	if header {
		return d.str(d.hdr, name)
	}
	return d.str(d.claims, name)
}

func (d *decoded) timeOr(name string) (time.Time, bool) {
	if d == nil {
		return time.Time{}, false
	}
	return d.time(name)
}

func findIssuer(issuers []authz.Issuer, url string) *authz.Issuer {
	for i := range issuers {
		if issuers[i].URL == url {
			return &issuers[i]
		}
	}
	return nil
}

func scopesOf(d *decoded) string {
	var out []string
	for _, n := range []string{"scope", "scp", "permissions"} {
		switch v := d.claims[n].(type) {
		case string:
			out = append(out, strings.Fields(v)...)
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return strings.Join(out, " ")
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// issuerHint compares the token's iss with every configured iss value.
func issuerHint(d *decoded, issuers []authz.Issuer) string {
	if d == nil {
		return "the token cannot be decoded to read its iss."
	}
	tokIss, ok := d.claims["iss"].(string)
	if !ok {
		return "the token has no iss claim (or not a string): jwtguard needs it to pick the issuer and its keys."
	}
	var configured []string
	for _, is := range issuers {
		configured = append(configured, is.URL)
		configured = append(configured, is.Aliases...)
	}
	for _, c := range configured {
		switch {
		case strings.TrimSuffix(c, "/") == strings.TrimSuffix(tokIss, "/"):
			h := fmt.Sprintf("the token's iss %q differs from the configured issuer %q only by a trailing slash. Issuers are compared exactly, byte for byte: configure %q.", tokIss, c, tokIss)
			if strings.HasSuffix(tokIss, "/") {
				h += " (Auth0's iss ends with a slash: --preset auth0 --domain <tenant> sets it right.)"
			}
			return h
		case strings.EqualFold(c, tokIss):
			return fmt.Sprintf("the token's iss %q differs from the configured issuer %q only in letter case. Issuers are compared exactly: configure %q.", tokIss, c, tokIss)
		case strings.TrimPrefix(strings.TrimPrefix(c, "https://"), "http://") == strings.TrimPrefix(strings.TrimPrefix(tokIss, "https://"), "http://"):
			return fmt.Sprintf("the token's iss %q differs from the configured issuer %q only in the scheme. Configure %q.", tokIss, c, tokIss)
		}
	}
	return fmt.Sprintf("the token's iss %q is not a configured issuer (configured: %s). If you trust it, add it (--issuer %q, or the preset of that IdP); otherwise the token is from another tenant, region or environment.", tokIss, quoteAll(configured), tokIss)
}

func audienceHint(d *decoded, iss *authz.Issuer) string {
	var want []string
	if iss != nil {
		want = iss.Audiences
	}
	auds := []string(nil)
	if d != nil {
		auds = d.audiences()
	}
	if len(auds) == 0 {
		return fmt.Sprintf("the token has no aud claim, but the issuer requires one of %s. Descope session tokens carry none unless a JWT template adds it: use --preset descope without --audience. Otherwise request the token for your API (Auth0: the audience parameter).", quoteAll(want))
	}
	return fmt.Sprintf("the token's aud is %s; the accepted audiences are %s. The audience is what the token was minted for: the API identifier in Auth0, the client ID (application ID) in Okta, Entra ID and Google. If the token is meant for this API, accept one of its audiences (--audience %q); if not, request a token for this API.", quoteAll(auds), quoteAll(want), auds[0])
}

// keyHint lists the kids the issuer publishes now (verify may fetch; inspect
// never does).
func keyHint(ctx context.Context, ve *authz.ValidationError, iss *authz.Issuer, client *http.Client) string {
	head := fmt.Sprintf("the token's kid %q is not in the issuer's current key set", ve.KeyID)
	if ve.KeyID == "" {
		head = "the token has no kid and no single key of the issuer fits its alg"
	}
	tail := ". The key was rotated out (get a new token), or the token comes from another environment or tenant that uses the same issuer URL."
	if iss == nil {
		return head + tail
	}
	kids, url, err := fetchKids(ctx, client, iss)
	if err != nil {
		return head + tail + " (The key set could not be listed: " + err.Error() + ".)"
	}
	return fmt.Sprintf("%s (%s publishes %s)%s", head, url, quoteAll(kids), tail)
}

// fetchKids reads the key IDs of an issuer's JWKS, through discovery when
// no JWKS URL is set.
func fetchKids(ctx context.Context, client *http.Client, iss *authz.Issuer) ([]string, string, error) {
	get := func(url string, v any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, res.Status)
		}
		return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
	}
	url := iss.JWKSURL
	if url == "" {
		disc := iss.DiscoveryURL
		if disc == "" {
			disc = strings.TrimSuffix(iss.URL, "/") + "/.well-known/openid-configuration"
		}
		var doc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := get(disc, &doc); err != nil {
			return nil, "", err
		}
		url = doc.JWKSURI
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := get(url, &set); err != nil {
		return nil, "", err
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	slices.Sort(kids)
	return kids, url, nil
}
