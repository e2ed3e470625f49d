package authz

import (
	"errors"
	"net/url"
	"strings"
)

// Okta returns settings for an Okta custom authorization server, such as
// Okta("example.okta.com", "default", "api://default"): issuer
// "https://<domain>/oauth2/<authServerID>", keys at "<issuer>/v1/keys",
// scopes from the scp array.
func Okta(domain, authServerID string, audiences ...string) Issuer {
	base := "https://" + trimHost(domain) + "/oauth2/" + authServerID
	return Issuer{
		Name:         "okta:" + trimHost(domain) + "/" + authServerID,
		URL:          base,
		Audiences:    audiences,
		JWKSURL:      base + "/v1/keys",
		ScopeClaims:  []string{"scp"},
		ScopeFormats: map[string]ScopeFormat{"scp": ScopeArray},
	}
}

// Keycloak returns settings for a Keycloak realm, such as
// Keycloak("https://sso.example.com", "acme", "account"): issuer
// "<baseURL>/realms/<realm>" (Keycloak 17 and later; for the older
// "/auth/realms/" layout pass baseURL with "/auth"), keys at
// "<issuer>/protocol/openid-connect/certs", scopes from the scope claim.
// Realm and client roles are read by policies (KeycloakRealmRoles,
// KeycloakClientRoles).
func Keycloak(baseURL, realm string, audiences ...string) Issuer {
	iss := strings.TrimSuffix(baseURL, "/") + "/realms/" + realm
	return Issuer{
		Name:        "keycloak:" + realm,
		URL:         iss,
		Audiences:   audiences,
		JWKSURL:     iss + "/protocol/openid-connect/certs",
		ScopeClaims: []string{"scope"},
	}
}

// Google returns settings for Google ID tokens: issuer
// "https://accounts.google.com" (and the scheme-less "accounts.google.com"
// Google also emits), keys at https://www.googleapis.com/oauth2/v3/certs,
// RS256 only. The audiences are your OAuth client IDs.
func Google(clientIDs ...string) Issuer {
	return Issuer{
		Name:       "google",
		URL:        "https://accounts.google.com",
		Aliases:    []string{"accounts.google.com"},
		Audiences:  clientIDs,
		JWKSURL:    "https://www.googleapis.com/oauth2/v3/certs",
		Algorithms: []string{"RS256"},
	}
}

// EntraTenantPlaceholder is the placeholder Microsoft Entra ID's
// multi-tenant discovery documents use in their issuer.
const EntraTenantPlaceholder = "{tenantid}"

// EntraID returns settings for Microsoft Entra ID (v2.0 access tokens) for
// each allowed tenant: the templated issuer
// "https://login.microsoftonline.com/{tenantid}/v2.0" expanded once per
// tenant ID, each with its own keys
// ("https://login.microsoftonline.com/<tid>/discovery/v2.0/keys") and a
// check that the tid claim names the same tenant. A token from a tenant
// not in the list is refused (ErrUnknownIssuer), and one tenant's keys
// never verify another tenant's tokens. Scopes come from scp (a
// space-delimited string); app roles are in the roles array.
//
// Entra v1.0 tokens (issuer https://sts.windows.net/<tid>/) are not
// covered: set accessTokenAcceptedVersion to 2 in the app manifest.
func EntraID(tenantIDs []string, audiences ...string) []Issuer {
	tmpl := Issuer{
		Name:         "entra:" + EntraTenantPlaceholder,
		URL:          "https://login.microsoftonline.com/" + EntraTenantPlaceholder + "/v2.0",
		Audiences:    audiences,
		JWKSURL:      "https://login.microsoftonline.com/" + EntraTenantPlaceholder + "/discovery/v2.0/keys",
		ScopeClaims:  []string{"scp"},
		ScopeFormats: map[string]ScopeFormat{"scp": ScopeString},
	}
	out := Expand(tmpl, EntraTenantPlaceholder, tenantIDs...)
	for i, tid := range tenantIDs {
		out[i].Check = claimEquals("tid", tid)
	}
	return out
}

// Expand turns a templated issuer into one Issuer per value, replacing
// placeholder in Name, URL, Aliases, DiscoveryURL and JWKSURL. Each
// expanded issuer is separate: its own exact iss, its own keys.
func Expand(template Issuer, placeholder string, values ...string) []Issuer {
	out := make([]Issuer, 0, len(values))
	for _, val := range values {
		is := template
		r := strings.NewReplacer(placeholder, val)
		is.Name = r.Replace(is.Name)
		is.URL = r.Replace(is.URL)
		is.DiscoveryURL = r.Replace(is.DiscoveryURL)
		is.JWKSURL = r.Replace(is.JWKSURL)
		is.Aliases = nil
		for _, a := range template.Aliases {
			is.Aliases = append(is.Aliases, r.Replace(a))
		}
		out = append(out, is)
	}
	return out
}

func claimEquals(name, want string) func(*Claims) error {
	return func(c *Claims) error {
		var got string
		ok, err := c.lookupString(name, &got)
		if err != nil {
			return err
		}
		if !ok || got != want {
			return errors.New("claim " + name + " does not name the issuer's tenant")
		}
		return nil
	}
}

func trimHost(domain string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(domain, "https://"), "http://"), "/")
}

// AuthorizationServer returns settings for an OAuth 2.0 authorization
// server that publishes RFC 8414 metadata instead of OpenID Connect
// discovery: the metadata is read from AuthorizationServerMetadataURL(
// issuerURL), its issuer must equal issuerURL exactly and its jwks_uri must
// be https (plain http for loopback hosts only) — the rules of OIDC.
func AuthorizationServer(issuerURL string, audiences ...string) Issuer {
	return Issuer{
		URL:          issuerURL,
		Audiences:    audiences,
		DiscoveryURL: AuthorizationServerMetadataURL(issuerURL),
	}
}

// AuthorizationServerMetadataURL returns where RFC 8414 §3.1 puts an
// issuer's metadata: "/.well-known/oauth-authorization-server" inserted
// between the host and the issuer's path, whose terminating "/" is removed
// ("https://as.example.com/tenant1" → "https://as.example.com/.well-known/
// oauth-authorization-server/tenant1"). It returns "" for an issuer that is
// not an absolute URL without query or fragment.
func AuthorizationServerMetadataURL(issuerURL string) string {
	u, err := url.Parse(issuerURL)
	if err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.EscapedPath(), "/")
}
