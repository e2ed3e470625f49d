// Package nethttp protects net/http handlers with bearer access tokens
// checked by an authz.Validator, and holds the request side every HTTP
// adapter shares: token extractors, the status and WWW-Authenticate mapping,
// and the request context getters.
//
//	v, err := authz.New([]authz.Issuer{authz.Auth0("example.us.auth0.com", "https://api.example.com")})
//	...
//	mw := nethttp.Middleware(v, nethttp.WithPolicy(authz.RequireScopes("read:messages")))
//	mux.Handle("GET /messages", mw(messages))
//
//	func messages(w http.ResponseWriter, r *http.Request) {
//		claims, _ := nethttp.ClaimsFromContext(r.Context())
//		fmt.Fprintln(w, "hello", claims.Subject)
//	}
//
// # Responses
//
// Every rejection follows RFC 6750 §3. The realm is "api" unless WithRealm
// says otherwise; the error_description texts are fixed strings that never
// contain any part of the token (WithHiddenDescriptions drops them).
//
//	outcome                                        status  WWW-Authenticate
//	no token                                       401     Bearer realm="api"
//	malformed request (see below)                  400     Bearer realm="api", error="invalid_request", error_description="…"
//	token rejected (authz.ErrInvalidToken)         401     Bearer realm="api", error="invalid_token", error_description="…"
//	policy denial (authz.ErrForbidden)             403     Bearer realm="api", error="insufficient_scope", scope="<required scopes>"
//	keys unavailable (authz.ErrKeysUnavailable)    503     none; Retry-After: 5
//	any other error (a policy that failed)         500     none
//
// The token is checked before the policy: a request whose token is invalid
// gets 401 even if its scopes would not do either. The scope parameter of
// the 403 lists the scopes of *authz.PolicyError and is left out when the
// denial is not about scopes. The body is the short status text, as plain
// text, unless WithErrorHandler writes another.
//
// A malformed request is one RFC 6750 §3.1 calls invalid_request: more than
// one Authorization header, a Bearer header without a token, with more than
// one token, or with characters a token cannot hold (b64token, RFC 6750
// §2.1), or a token sent twice in the same place (two cookies, two query
// parameters of the configured name). An Authorization header with another
// scheme, such as Basic, is not an error: the request simply carries no
// bearer token (RFC 6750 §3), so it gets the plain 401, or passes as
// anonymous with Optional.
//
// With the default extractor and a Validator without validation hooks,
// the b64token check of the credentials runs only when the Validator
// refuses them: every token it accepts is made of base64url parts and dots,
// hence one b64token, so a valid request is not scanned twice. Such a
// credential reaches Validate before it is answered 400, as malformed.
// With validation hooks (authz.Hooks.Validate), which see every token and
// may answer in the Validator's place, the check runs first, as it does in
// ParseAuthorization for other transports and for custom extractors.
//
// # Policies
//
// WithPolicy adds the authz.Policy a route requires; its context carries the
// request (RequestFromContext) and, with WithTenantFrom, the tenant the
// request names, for authz's tenant policies. Optional lets requests
// without a token through as anonymous.
//
// # Token sources
//
// The token is read from the Authorization header by default. FromCookie
// and FromQuery read it from elsewhere, and FirstOf combines sources; pass
// them with WithExtractor. Query parameters are off by default because URLs
// are written to access logs, proxy logs and browser history and sent in
// Referer headers: a token in a URL is a token that leaks.
//
// # Other routers
//
// New returns a Guard whose Authorize and WriteError methods are the
// middleware's two halves, so adapters for other routers (and handlers that
// authorize by hand) give exactly the same answers. Status and Challenge
// expose the mapping itself.
package nethttp
