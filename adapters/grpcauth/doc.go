// Package grpcauth protects gRPC services (google.golang.org/grpc) with
// bearer access tokens checked by an authz.Validator: a Guard provides a
// unary and a stream server interceptor that read the token from the
// "authorization" metadata, validate it, apply the method's policy and put
// the claims in the context of the handler (ClaimsFromContext).
//
//	g, err := grpcauth.New(v,
//		grpcauth.WithPolicy(authz.RequireScopes("read:messages")), // every method
//		grpcauth.WithMethodPolicies(map[string]authz.Policy{
//			"/chat.v1.Messages/Post": authz.RequireScopes("read:messages", "write:messages"),
//			"/chat.v1.Admin/*":       authz.RequireRoles("admin"),
//		}),
//		grpcauth.OptionalMethods("/grpc.health.v1.Health/*"),
//	)
//	...
//	srv := grpc.NewServer(grpc.UnaryInterceptor(g.Unary), grpc.StreamInterceptor(g.Stream))
//
// # Token
//
// The token is the value of the "authorization" metadata (sent as the
// Authorization header by HTTP/2): "Bearer" in any letter case, one or
// more spaces and one b64token, parsed exactly as package nethttp parses
// the HTTP header. Metadata with another scheme holds no bearer token.
// More than one "authorization" value, or a malformed Bearer value, is
// refused with codes.Unauthenticated: gRPC has no "invalid request" for
// credentials (codes.InvalidArgument is about the RPC's own arguments),
// and clients treat Unauthenticated as "get a proper token".
//
// # Status codes
//
// The token is checked before the policy; the first failure answers:
//
//	outcome                                      code               message (fixed texts, never token contents)
//	no token                                     Unauthenticated    "no bearer token"
//	malformed "authorization" metadata           Unauthenticated    "malformed bearer credentials", "more than one authorization value"
//	token rejected (authz.ErrInvalidToken)       Unauthenticated    the reason: "token has expired", "signature is invalid", …
//	policy denial (authz.ErrForbidden)           PermissionDenied   "insufficient scope: requires <scopes>", or "permission denied"
//	keys unavailable (authz.ErrKeysUnavailable)  Unavailable        "signing keys unavailable"
//	  … because the call was cancelled or ran out of time: Canceled or DeadlineExceeded
//	a policy that failed to decide               Internal           "authorization failed"
//
// Unauthenticated and PermissionDenied carry the RFC 6750 challenge that
// the HTTP adapters send in WWW-Authenticate, as the "www-authenticate"
// trailer: `Bearer realm="api", error="insufficient_scope", scope="…"`.
// The error the interceptors return also wraps the cause, so server-side
// interceptors and logs can use errors.Is with the authz sentinels;
// clients see only the status.
//
// # Policies per method
//
// A method's policy is the one WithMethodPolicies names for its full name
// ("/package.Service/Method"), else the one named for its service
// ("/package.Service/*"), else the default: every WithPolicy, all of which
// must allow. A per-method policy replaces the default rather than adding
// to it. With no policy at all, any valid token passes. A policy's context
// is the call's: grpc.Method(ctx) names the method, and
// metadata.FromIncomingContext(ctx) gives the metadata.
//
// Optional and OptionalMethods let calls without a token through as
// anonymous (like Envoy's allow_missing): the handler finds no claims and
// no policy runs. A call with a token is handled as without them.
//
// It is a module of its own, so that gRPC enters only the builds that
// import it:
//
//	go get github.com/jwtguard/jwtguard/adapters/grpcauth
package grpcauth
