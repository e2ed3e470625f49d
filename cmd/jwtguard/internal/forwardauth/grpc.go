package forwardauth

import (
	"context"
	"net/http"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// RegisterEnvoyGRPC registers the Authorizer on s as Envoy's gRPC external
// authorization service (envoy.service.auth.v3.Authorization/Check). The
// decision is the one the HTTP endpoints make, read from the check
// request's attributes (method, host, path, headers): OK with the identity
// headers to set on the upstream request (an empty one is removed from
// it), or a denial carrying the HTTP status, the challenge and
// Retry-After for Envoy to send to the client.
func (a *Authorizer) RegisterEnvoyGRPC(s *grpc.Server) {
	authv3.RegisterAuthorizationServer(s, envoyGRPC{a: a})
}

type envoyGRPC struct {
	authv3.UnimplementedAuthorizationServer
	a *Authorizer
}

// Check implements authv3.AuthorizationServer.
func (g envoyGRPC) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	h := req.GetAttributes().GetRequest().GetHttp()
	t := target{method: h.GetMethod(), host: h.GetHost(), uri: h.GetPath()}
	var authorization []string
	for k, v := range h.GetHeaders() {
		if strings.EqualFold(k, "authorization") {
			authorization = append(authorization, v)
		}
	}
	for _, hv := range h.GetHeaderMap().GetHeaders() {
		if strings.EqualFold(hv.GetKey(), "authorization") {
			v := hv.GetValue()
			if v == "" {
				v = string(hv.GetRawValue())
			}
			authorization = append(authorization, v)
		}
	}
	var err error
	if t.method == "" || t.uri == "" {
		err = errNoAttributes
	}
	res := g.a.decide(g.a.tracing.extractGRPC(ctx), "envoy-grpc", t, authorization, err)
	if res.status == http.StatusOK {
		ok := &authv3.OkHttpResponse{}
		for k, vs := range res.header {
			if len(vs) == 0 || vs[0] == "" {
				ok.HeadersToRemove = append(ok.HeadersToRemove, k)
				continue
			}
			ok.Headers = append(ok.Headers, headerOption(k, vs[0]))
		}
		return &authv3.CheckResponse{
			Status:       &rpcstatus.Status{Code: int32(codes.OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
		}, nil
	}
	denied := &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{Code: typev3.StatusCode(res.status)}, Body: res.body}
	for k, vs := range res.header {
		for _, v := range vs {
			denied.Headers = append(denied.Headers, headerOption(k, v))
		}
	}
	code := codes.PermissionDenied
	switch res.status {
	case http.StatusUnauthorized:
		code = codes.Unauthenticated
	case http.StatusServiceUnavailable:
		code = codes.Unavailable
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(code)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: denied},
	}, nil
}

type attrError string

func (e attrError) Error() string { return string(e) }

const errNoAttributes = attrError("check request without the HTTP method or path")

func headerOption(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, Value: v},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}
