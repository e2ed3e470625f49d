package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

const audience = "https://api.example.com"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run starts the issuer and the API, makes the calls and writes one line
// per call to out. It returns an error if a call fails or answers with an
// unexpected status.
func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// 1. An identity provider. In production: authz.Auth0(...), authz.Descope(...), authz.OIDC(...).
	idp, err := authztest.New()
	if err != nil {
		return err
	}
	defer idp.Close()

	// 2. The Validator, trusting that issuer for our audience.
	v, err := authz.New([]authz.Issuer{idp.OIDC(audience)}, authz.WithStore(memory.New()))
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Warm(ctx); err != nil { // optional: fail fast if the keys cannot be had
		return err
	}

	// 3. The API: GET /messages needs a valid token granting read:messages.
	requireRead := nethttp.Middleware(v, nethttp.WithPolicy(authz.RequireScopes("read:messages")))
	mux := http.NewServeMux()
	mux.Handle("GET /messages", requireRead(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := nethttp.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Subject)
	})))
	api := httptest.NewServer(mux)
	defer api.Close()

	// 4. Tokens, good and bad.
	var mintErr error
	mint := func(edit func(map[string]any), opts ...authztest.TokenOption) string {
		c := idp.Claims("alice", audience)
		c["scope"] = "read:messages"
		if edit != nil {
			edit(c)
		}
		tok, err := idp.Mint(c, opts...)
		mintErr = errors.Join(mintErr, err)
		return tok
	}
	calls := []struct {
		name   string
		token  string
		status int
	}{
		{"good token", mint(nil), http.StatusOK},
		{"no token", "", http.StatusUnauthorized},
		{"expired token", mint(func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		}), http.StatusUnauthorized},
		{"forged token", mint(nil, authztest.WithUnpublishedKey()), http.StatusUnauthorized},
		{"missing scope", mint(func(c map[string]any) { c["scope"] = "write:messages" }), http.StatusForbidden},
	}

	if mintErr != nil {
		return mintErr
	}

	// 5. Call the API.
	var errs []error
	for _, c := range calls {
		status, reason, err := call(ctx, api.Client(), api.URL+"/messages", c.token)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Fprintf(out, "%-14s %d  %s\n", c.name, status, reason)
		if status != c.status {
			errs = append(errs, fmt.Errorf("%s: status %d, want %d", c.name, status, c.status))
		}
	}
	return errors.Join(errs...)
}

// call sends GET url with the token, if any, and returns the status and
// the body of a success, else the WWW-Authenticate challenge as sent.
func call(ctx context.Context, client *http.Client, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	if err != nil {
		return 0, "", err
	}
	if res.StatusCode == http.StatusOK {
		return res.StatusCode, string(body), nil
	}
	return res.StatusCode, res.Header.Get("WWW-Authenticate"), nil
}
