package config

import (
	"errors"
	"strings"
	"testing"
)

const good = `
listen: 127.0.0.1:9091
issuers:
  - preset: auth0
    domain: example.us.auth0.com
    audiences: [https://api.example.com]
  - preset: descope
    project_id: P2abc
rules:
  - name: health
    paths: [/healthz]
    anonymous: true
  - paths: [/admin/*]
    roles: [admin]
  - methods: [GET]
    scopes: [read:messages]
identity_headers:
  - header: X-Auth-Request-User
    claim: sub
`

func TestParse(t *testing.T) {
	c, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	is, err := c.AuthzIssuers()
	if err != nil {
		t.Fatal(err)
	}
	if len(is) != 2 || is[0].URL != "https://example.us.auth0.com/" || is[1].Name != "descope:P2abc" {
		t.Errorf("issuers = %+v", is)
	}
	if !*c.TokenCache || c.Realm != "jwtguard" || len(c.IdentityHeaders) != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each "line: text" must appear
	}{
		{"typo in a field", "issuers:\n  - preset: auth0\n    domian: x\n", []string{"bad.yaml:3: field domian not found"}},
		{"wrong type", "listen: [1]\n", []string{"bad.yaml:1: cannot unmarshal"}},
		{"unknown preset and missing param", "issuers:\n  - preset: nope\n  - preset: auth0\n    audiences: [a]\nrules:\n  - paths: [x]\n",
			[]string{`bad.yaml:2: issuer #1 (nope): unknown preset "nope"`, "bad.yaml:3: issuer #2 (auth0): preset auth0 needs domain", `bad.yaml:6: rule #1: path "x" must start with /`}},
		{"no audience", "issuers:\n  - issuer: https://idp.example.com\nrules:\n  - anonymous: true\n", []string{"bad.yaml:1:", "no audiences"}},
		{"anonymous with scopes", "issuers:\n  - preset: google\n    audiences: [c]\nrules:\n  - name: open\n    anonymous: true\n    scopes: [x]\n",
			[]string{`bad.yaml:5: rule "open": anonymous: true cannot be combined`}},
		{"bad scope", "issuers:\n  - preset: google\n    audiences: [c]\nrules:\n  - scopes: ['a b']\n", []string{"bad.yaml:5: rule #1:"}},
		{"redis without url", "keystore:\n  type: redis\nissuers:\n  - preset: google\n    audiences: [c]\nrules:\n  - anonymous: true\n", []string{"bad.yaml:2: keystore type redis needs redis:", "bad.yaml:2: keystore type redis needs a secret"}},
		{"unknown keystore", "keystore:\n  type: etcd\nissuers:\n  - preset: google\n    audiences: [c]\nrules:\n  - anonymous: true\n", []string{`bad.yaml:2: keystore type "etcd": want memory or redis`}},
		{"bad header", "issuers:\n  - preset: google\n    audiences: [c]\nrules:\n  - anonymous: true\nidentity_headers:\n  - header: 'X User'\n    claim: sub\n", []string{"bad.yaml:7:", "not a valid header name"}},
		{"empty", "", []string{"empty file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestPresets(t *testing.T) {
	tests := []struct {
		is      Issuer
		wantURL string
		n       int
	}{
		{Issuer{Preset: "oidc", Issuer: "https://idp.example.com", Audiences: []string{"a"}}, "https://idp.example.com", 1},
		{Issuer{Preset: "okta", Domain: "x.okta.com", Audiences: []string{"a"}}, "https://x.okta.com/oauth2/default", 1},
		{Issuer{Preset: "keycloak", BaseURL: "https://sso.example.com", Realm: "acme", Audiences: []string{"a"}}, "https://sso.example.com/realms/acme", 1},
		{Issuer{Preset: "entra", Tenants: []string{"t1", "t2"}, Audiences: []string{"a"}}, "https://login.microsoftonline.com/t1/v2.0", 2},
		{Issuer{Preset: "google", Audiences: []string{"a"}}, "https://accounts.google.com", 1},
		{Issuer{Preset: "descope", ProjectID: "P1", BaseURL: "https://auth.example.com"}, "https://auth.example.com/P1", 1},
	}
	for _, tt := range tests {
		got, err := tt.is.Build()
		if err != nil {
			t.Errorf("%s: %v", tt.is.Preset, err)
			continue
		}
		if len(got) != tt.n || got[0].URL != tt.wantURL {
			t.Errorf("%s: got %d issuers, first %q; want %d, %q", tt.is.Preset, len(got), got[0].URL, tt.n, tt.wantURL)
		}
	}
}

func TestClaimPath(t *testing.T) {
	tests := map[string][]string{
		"sub":                       {"sub"},
		"realm_access.roles":        {"realm_access", "roles"},
		"https://example.com/roles": {"https://example.com/roles"},
	}
	for in, want := range tests {
		if got := ClaimPath(in); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("ClaimPath(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := (Rule{Claims: map[string]string{"https://example.com/tenant": "acme", "org.id": "1"}}).Policy(); err != nil {
		t.Error(err)
	}
}
