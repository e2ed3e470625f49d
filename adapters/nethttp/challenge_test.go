package nethttp_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

func TestStatus(t *testing.T) {
	expired := &authz.ValidationError{Err: authz.ErrExpired, Reason: authz.ReasonExpired}
	keys := &authz.ValidationError{Err: authz.ErrKeysUnavailable, Reason: authz.ReasonKeysUnavailable}
	missing := &authz.ValidationError{Err: authz.ErrMissingToken, Reason: authz.ReasonMissing}
	denied := &authz.PolicyError{Requirement: "scopes a", Scopes: []string{"a"}}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 200},
		{"missing token", missing, 401},
		{"missing sentinel", authz.ErrMissingToken, 401},
		{"expired", expired, 401},
		{"wrapped expired", fmt.Errorf("auth: %w", expired), 401},
		{"invalid sentinel", authz.ErrInvalidToken, 401},
		{"keys unavailable", keys, 503},
		{"keys unavailable sentinel", authz.ErrKeysUnavailable, 503},
		{"policy denial", denied, 403},
		{"forbidden sentinel wrapped", fmt.Errorf("no: %w", authz.ErrForbidden), 403},
		{"invalid request", &nethttp.RequestError{Description: "x"}, 400},
		{"invalid request sentinel", nethttp.ErrInvalidRequest, 400},
		{"token wins over policy", errors.Join(denied, expired), 401},
		{"other error", errors.New("database down"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nethttp.Status(tt.err); got != tt.want {
				t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	expired := &authz.ValidationError{Err: authz.ErrExpired, Reason: authz.ReasonExpired, Issuer: "https://idp.example.com", KeyID: "k1"}
	missing := &authz.ValidationError{Err: authz.ErrMissingToken, Reason: authz.ReasonMissing}
	scopes := &authz.PolicyError{Requirement: "scopes read:messages write:messages", Scopes: []string{"read:messages", "write:messages"}}
	tests := []struct {
		name  string
		realm string
		err   error
		hide  bool
		want  string
	}{
		{name: "nil", realm: "api", err: nil, want: ""},
		{name: "no token", realm: "api", err: missing, want: `Bearer realm="api"`},
		{name: "no token, hidden", realm: "api", err: missing, hide: true, want: `Bearer realm="api"`},
		{name: "no token sentinel", realm: "api", err: authz.ErrMissingToken, want: `Bearer realm="api"`},
		{name: "invalid token", realm: "api", err: expired, want: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
		{name: "invalid token wrapped", realm: "api", err: fmt.Errorf("x: %w", expired), want: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
		{name: "invalid token hidden", realm: "api", err: expired, hide: true, want: `Bearer realm="api", error="invalid_token"`},
		{name: "invalid token sentinel", realm: "api", err: authz.ErrInvalidToken, want: `Bearer realm="api", error="invalid_token", error_description="token is invalid"`},
		{name: "missing scopes", realm: "api", err: scopes, want: `Bearer realm="api", error="insufficient_scope", scope="read:messages write:messages"`},
		{name: "missing scopes hidden", realm: "api", err: scopes, hide: true, want: `Bearer realm="api", error="insufficient_scope", scope="read:messages write:messages"`},
		{name: "denial without scopes", realm: "api", err: &authz.PolicyError{Requirement: `role "admin"`}, want: `Bearer realm="api", error="insufficient_scope"`},
		{name: "forbidden sentinel", realm: "api", err: authz.ErrForbidden, want: `Bearer realm="api", error="insufficient_scope"`},
		{name: "token wins over policy", realm: "api", err: errors.Join(scopes, expired), want: `Bearer realm="api", error="invalid_token", error_description="token has expired"`},
		{name: "keys unavailable", realm: "api", err: &authz.ValidationError{Err: authz.ErrKeysUnavailable, Reason: authz.ReasonKeysUnavailable}, want: ""},
		{name: "other error", realm: "api", err: errors.New("boom"), want: ""},
		{name: "invalid request", realm: "api", err: &nethttp.RequestError{Description: "more than one Authorization header"}, want: `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`},
		{name: "invalid request sentinel", realm: "api", err: nethttp.ErrInvalidRequest, want: `Bearer realm="api", error="invalid_request", error_description="malformed request"`},
		{name: "invalid request hidden", realm: "api", err: nethttp.ErrInvalidRequest, hide: true, want: `Bearer realm="api", error="invalid_request"`},
		{name: "realm quotes escaped", realm: `my "api" \ v1`, err: missing, want: `Bearer realm="my \"api\" \\ v1"`},
		{name: "realm control bytes replaced", realm: "a\r\nb\x00é", err: missing, want: `Bearer realm="a??b???"`},
		{name: "empty realm", realm: "", err: missing, want: `Bearer realm=""`},
		{name: "scope quotes escaped", realm: "api", err: &authz.PolicyError{Scopes: []string{`a"b`, `c\d`}}, want: `Bearer realm="api", error="insufficient_scope", scope="a\"b c\\d"`},
		{
			name: "description outside the RFC 6750 set", realm: "api", err: &nethttp.RequestError{Description: "say \"hi\" \\ \x7f\ttoo é"},
			want: `Bearer realm="api", error="invalid_request", error_description="say 'hi' ? ??too ??"`,
		},
		{
			name: "long description capped", realm: "api", err: &nethttp.RequestError{Description: strings.Repeat("x", 300)},
			want: `Bearer realm="api", error="invalid_request", error_description="` + strings.Repeat("x", 200) + `"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nethttp.Challenge(tt.realm, tt.err, tt.hide); got != tt.want {
				t.Errorf("Challenge = %s\nwant        %s", got, tt.want)
			}
		})
	}
}

// Every reason code's description is a valid error_description and holds
// nothing but the fixed text.
func TestChallengeEveryReason(t *testing.T) {
	reasons := []authz.Reason{
		authz.ReasonTooLarge, authz.ReasonMalformed, authz.ReasonAlgorithm, authz.ReasonCritical,
		authz.ReasonUnknownIssuer, authz.ReasonUnknownKey, authz.ReasonSignature, authz.ReasonExpired,
		authz.ReasonMissingExp, authz.ReasonNotYetValid, authz.ReasonIssuedInFuture, authz.ReasonAudience,
		authz.ReasonType, authz.ReasonClaims,
	}
	for _, r := range reasons {
		err := &authz.ValidationError{Err: authz.ErrMalformed, Reason: r, KeyID: `kid"with\quotes`, Issuer: "https://idp"}
		got := nethttp.Challenge("api", err, false)
		want := `Bearer realm="api", error="invalid_token", error_description="` + err.Description() + `"`
		if got != want {
			t.Errorf("%s: %s, want %s", r, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	expired := &authz.ValidationError{Err: authz.ErrExpired, Reason: authz.ReasonExpired}
	missing := &authz.ValidationError{Err: authz.ErrMissingToken, Reason: authz.ReasonMissing}
	denied := &authz.PolicyError{Requirement: "scopes a b", Scopes: []string{"a", "b"}}
	tests := []struct {
		name string
		err  error
		want nethttp.Outcome
	}{
		{"nil", nil, nethttp.Outcome{Status: 200}},
		{"missing token", missing, nethttp.Outcome{Status: 401, Description: missing.Description()}},
		{"missing sentinel", authz.ErrMissingToken, nethttp.Outcome{Status: 401, Description: "no bearer token"}},
		{"expired", fmt.Errorf("x: %w", expired), nethttp.Outcome{Status: 401, Error: "invalid_token", Description: expired.Description()}},
		{"invalid sentinel", authz.ErrInvalidToken, nethttp.Outcome{Status: 401, Error: "invalid_token", Description: "token is invalid"}},
		{"malformed request", &nethttp.RequestError{Description: "two cookies"}, nethttp.Outcome{Status: 400, Error: "invalid_request", Description: "two cookies"}},
		{"invalid request sentinel", nethttp.ErrInvalidRequest, nethttp.Outcome{Status: 400, Error: "invalid_request", Description: "malformed request"}},
		{"denied", denied, nethttp.Outcome{Status: 403, Error: "insufficient_scope", Scopes: []string{"a", "b"}}},
		{"keys", authz.ErrKeysUnavailable, nethttp.Outcome{Status: 503}},
		{"other", errors.New("boom"), nethttp.Outcome{Status: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nethttp.Classify(tt.err)
			if got.Status != tt.want.Status || got.Error != tt.want.Error || got.Description != tt.want.Description ||
				strings.Join(got.Scopes, " ") != strings.Join(tt.want.Scopes, " ") {
				t.Errorf("Classify(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
			if got.Status != nethttp.Status(tt.err) {
				t.Errorf("Classify(%v).Status = %d, Status = %d", tt.err, got.Status, nethttp.Status(tt.err))
			}
			if c, want := got.Challenge("api", false), nethttp.Challenge("api", tt.err, false); c != want {
				t.Errorf("Outcome.Challenge = %q, Challenge = %q", c, want)
			}
		})
	}
}
