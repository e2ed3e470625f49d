package nethttp_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

func ExampleMiddleware() {
	iss, _ := authztest.New() // a test issuer; in production, authz.Auth0(...) and the like
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	protect := nethttp.Middleware(v, nethttp.WithPolicy(authz.RequireScopes("read:messages")))
	srv := httptest.NewServer(protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := nethttp.ClaimsFromContext(r.Context())
		fmt.Fprintln(w, "hello", claims.Subject)
	})))
	defer srv.Close()

	call := func(token string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if c := res.Header.Get("WWW-Authenticate"); c != "" {
			fmt.Println(res.StatusCode, c)
			return
		}
		fmt.Print(res.StatusCode, " ", string(body))
	}

	reader := iss.Claims("user-1", "my-api")
	reader["scope"] = "read:messages"
	good, _ := iss.Mint(reader)
	nobody, _ := iss.Mint(iss.Claims("user-2", "my-api"))

	call(good)
	call("")
	call("not-a-jwt")
	call(nobody)
	// Output:
	// 200 hello user-1
	// 401 Bearer realm="api"
	// 401 Bearer realm="api", error="invalid_token", error_description="token is malformed"
	// 403 Bearer realm="api", error="insufficient_scope", scope="read:messages"
}

func ExampleChallenge() {
	expired := &authz.ValidationError{Err: authz.ErrExpired, Reason: authz.ReasonExpired}
	denied := &authz.PolicyError{Requirement: "scopes write:messages", Scopes: []string{"write:messages"}}

	fmt.Println(nethttp.Status(expired), nethttp.Challenge("api", expired, false))
	fmt.Println(nethttp.Status(denied), nethttp.Challenge("api", denied, false))
	fmt.Println(nethttp.Status(authz.ErrKeysUnavailable), nethttp.Challenge("api", authz.ErrKeysUnavailable, false) == "")
	// Output:
	// 401 Bearer realm="api", error="invalid_token", error_description="token has expired"
	// 403 Bearer realm="api", error="insufficient_scope", scope="write:messages"
	// 503 true
}

func ExampleFirstOf() {
	// Browsers send the token in a cookie, other clients in the header.
	extract := nethttp.FirstOf(nethttp.FromAuthorizationHeader(), nethttp.FromCookie("session"))

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "session", Value: "eyJ.cookie.token"})
	fmt.Println(extract(r))

	r.Header.Set("Authorization", "Bearer eyJ.header.token")
	fmt.Println(extract(r))

	r.Header.Set("Authorization", "Bearer two tokens")
	_, err := extract(r)
	fmt.Println(errors.Is(err, nethttp.ErrInvalidRequest), nethttp.Status(err))
	// Output:
	// eyJ.cookie.token <nil>
	// eyJ.header.token <nil>
	// true 400
}

func ExampleWithErrorHandler() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	jsonErrors := nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		// WWW-Authenticate (or Retry-After) is already set; write the rest.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(nethttp.Status(err))
		fmt.Fprintf(w, `{"status":%d}`+"\n", nethttp.Status(err))
	})
	h := nethttp.Middleware(v, jsonErrors)(http.NotFoundHandler())

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Print(w.Code, " ", w.Header().Get("WWW-Authenticate"), " ", w.Body.String())
	// Output:
	// 401 Bearer realm="api" {"status":401}
}

// Classify is the one mapping every adapter answers with; an adapter for a
// transport without HTTP statuses maps Outcome.Status to its own codes, as
// grpcauth.Code does.
func ExampleClassify() {
	tok, err := nethttp.ParseAuthorization([]string{"Bearer"}) // gRPC metadata, say
	o := nethttp.Classify(err)
	fmt.Printf("%q %d %s: %s\n", tok, o.Status, o.Error, o.Description)

	denied := &authz.PolicyError{Requirement: "scopes write:messages", Scopes: []string{"write:messages"}}
	o = nethttp.Classify(denied)
	fmt.Println(o.Status, o.Error, o.Scopes)
	fmt.Println(o.Challenge("api", false))
	// Output:
	// "" 400 invalid_request: malformed bearer credentials
	// 403 insufficient_scope [write:messages]
	// Bearer realm="api", error="insufficient_scope", scope="write:messages"
}

// Refusals as RFC 9457 problem documents.
func ExampleProblemDetails() {
	iss, _ := authztest.New()
	defer iss.Close()
	v, _ := authz.New([]authz.Issuer{iss.OIDC("my-api")})
	defer v.Close()

	protect := nethttp.Require(v, authz.RequireScopes("read:messages"))
	h := nethttp.Middleware(v, nethttp.WithErrorHandler(nethttp.ProblemDetails))(protect(http.NotFoundHandler()))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/messages", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 401 application/problem+json
	// {"type":"about:blank","title":"Unauthorized","status":401,"detail":"missing_token"}
}
