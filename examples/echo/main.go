package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jwtguard/jwtguard/adapters/echoauth"
	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

const audience = "https://api.example.com"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
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
	v, err := authz.New([]authz.Issuer{idp.OIDC(audience)})
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Warm(ctx); err != nil { // optional: fail fast if the keys cannot be had
		return err
	}

	// 3. The API: one line per route says who may call it.
	e := echo.New()
	e.GET("/rooms/:room/messages", reply, echoauth.Require(v, authz.RequireScopes("read:messages")))
	e.POST("/rooms/:room/messages", reply, echoauth.Require(v, authz.RequireScopes("read:messages", "write:messages")))
	e.GET("/tenants/:tenant/settings", reply, echoauth.Middleware(v,
		echoauth.TenantFromParam("tenant"),
		nethttp.WithPolicy(authz.TenantRoles(authz.RequestTenant, "admin")),
	))
	api := httptest.NewServer(e)
	defer api.Close()

	// 4. Tokens.
	var mintErr error
	mint := func(sub string, edit func(map[string]any)) string {
		c := idp.Claims(sub, audience)
		edit(c)
		tok, err := idp.Mint(c)
		mintErr = errors.Join(mintErr, err)
		return tok
	}
	reader := mint("alice", func(c map[string]any) { c["scope"] = "read:messages" })
	writer := mint("bob", func(c map[string]any) { c["scope"] = "read:messages write:messages" })
	expired := mint("carol", func(c map[string]any) {
		c["scope"] = "read:messages"
		c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})
	acmeAdmin := mint("dave", func(c map[string]any) {
		c["tenants"] = map[string]any{
			"acme":   map[string]any{"roles": []string{"admin"}},
			"globex": map[string]any{"roles": []string{"viewer"}},
		}
	})
	if mintErr != nil {
		return mintErr
	}

	// 5. Call the API.
	calls := []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/rooms/lobby/messages", reader, http.StatusOK},
		{"GET", "/rooms/lobby/messages", "", http.StatusUnauthorized},
		{"GET", "/rooms/lobby/messages", expired, http.StatusUnauthorized},
		{"POST", "/rooms/lobby/messages", reader, http.StatusForbidden},
		{"POST", "/rooms/lobby/messages", writer, http.StatusOK},
		{"GET", "/tenants/acme/settings", acmeAdmin, http.StatusOK},
		{"GET", "/tenants/globex/settings", acmeAdmin, http.StatusForbidden},
	}
	var errs []error
	for _, c := range calls {
		status, reason, err := call(ctx, api.Client(), c.method, api.URL+c.path, c.token)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.method, c.path, err)
		}
		fmt.Fprintf(out, "%-4s %-24s %d  %s\n", c.method, c.path, status, reason)
		if status != c.status {
			errs = append(errs, fmt.Errorf("%s %s: status %d, want %d", c.method, c.path, status, c.status))
		}
	}
	return errors.Join(errs...)
}

// reply answers with the caller and the route.
func reply(c echo.Context) error {
	claims, _ := echoauth.ClaimsFromContext(c)
	return c.String(http.StatusOK, "caller "+claims.Subject+", route "+c.Path())
}

// call sends a request with the token, if any, and returns the status and
// a reason: the body, and the WWW-Authenticate header if any.
func call(ctx context.Context, client *http.Client, method, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
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
	reason := strings.TrimSpace(string(body))
	if c := res.Header.Get("WWW-Authenticate"); c != "" {
		reason += "  " + strings.TrimPrefix(c, "Bearer ")
	}
	return res.StatusCode, reason, nil
}
