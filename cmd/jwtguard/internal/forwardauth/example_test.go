package forwardauth_test

import (
	"fmt"

	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/forwardauth"
)

func ExampleNormalizePath() {
	for _, raw := range []string{
		"/api//messages/?page=2",
		"/public/%2e%2e/admin",
		"/public%2F..%2Fadmin",
		"/../etc/passwd",
		"/admin;jsessionid=x",
	} {
		p, err := forwardauth.NormalizePath(raw)
		fmt.Printf("%-24s %q %v\n", raw, p, err)
	}
	// Output:
	// /api//messages/?page=2   "/api/messages" <nil>
	// /public/%2e%2e/admin     "/admin" <nil>
	// /public%2F..%2Fadmin     "" path cannot be normalised
	// /../etc/passwd           "" path cannot be normalised
	// /admin;jsessionid=x      "" path cannot be normalised
}
