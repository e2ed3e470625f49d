package nethttp

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jwtguard/jwtguard/authz"
)

// Require returns middleware that lets a request through when its token is
// valid and meets every one of policies: Middleware(v, WithPolicy(p1),
// WithPolicy(p2), …), the shorthand chiauth, echoauth and ginauth have. It
// panics on a nil policy, as Middleware does on any invalid option.
func Require(v *authz.Validator, policies ...authz.Policy) func(http.Handler) http.Handler {
	opts := make([]Option, len(policies))
	for i, p := range policies {
		opts[i] = WithPolicy(p)
	}
	return Middleware(v, opts...)
}

// Problem is the RFC 9457 problem document ProblemDetails writes.
type Problem struct {
	// Type is "about:blank": the status says what happened (RFC 9457 §4.2.1).
	Type string `json:"type"`
	// Title is the status's reason phrase ("Unauthorized", …).
	Title string `json:"title"`
	// Status is the HTTP status.
	Status int `json:"status"`
	// Detail is the stable reason code — authz.ValidationError's Reason
	// ("expired", "bad_audience", …), "insufficient_scope" for a policy
	// denial, "invalid_request" for a malformed request, "missing_token" —
	// never anything from the token.
	Detail string `json:"detail"`
}

// ProblemDetails is an error handler for WithErrorHandler that answers with
// an RFC 9457 problem document (Content-Type application/problem+json)
// instead of plain text, for APIs whose clients read JSON errors:
//
//	nethttp.Middleware(v, nethttp.WithErrorHandler(nethttp.ProblemDetails))
//
// The Guard has set WWW-Authenticate (and Retry-After) already; the status
// is Status(err).
func ProblemDetails(w http.ResponseWriter, r *http.Request, err error) {
	o := Classify(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(o.Status), Status: o.Status, Detail: problemDetail(err, o)}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(o.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func problemDetail(err error, o Outcome) string {
	var ve *authz.ValidationError
	switch {
	case errors.As(err, &ve):
		return string(ve.Reason)
	case errors.Is(err, authz.ErrMissingToken):
		return string(authz.ReasonMissing)
	case o.Error != "":
		return o.Error
	case o.Status == http.StatusUnauthorized:
		return string(authz.ReasonMissing)
	}
	return "error"
}
