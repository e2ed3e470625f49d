package grpcauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
)

// Sender-constrained tokens over gRPC: a DPoP-bound token comes as
// "authorization: DPoP <token>" with one "dpop" metadata value, a proof for
// method POST and the URI https://<:authority>/<service>/<method> (gRPC is
// HTTP/2 POST to that path); a certificate-bound token needs the peer's
// TLS client certificate (RFC 8705 §3).

// token reads the token and its scheme: DPoP too when the Validator has
// DPoP enabled.
func (g *Guard) token(md metadata.MD) (tok, scheme string, err error) {
	if g.v.DPoPMode() != authz.DPoPDisabled {
		if tok, ok, err := nethttp.ParseDPoPAuthorization(md["authorization"]); ok || err != nil {
			return tok, "DPoP", err
		}
	}
	tok, err = bearerToken(md)
	return tok, "Bearer", err
}

// senderRequest describes the call for authz.Validator.ValidateRequest.
func senderRequest(ctx context.Context, md metadata.MD, scheme, fullMethod string) authz.Request {
	req := authz.Request{Scheme: scheme, Method: "POST", DPoP: md["dpop"]}
	authority := ""
	if a := md[":authority"]; len(a) == 1 {
		authority = a[0]
	}
	uriScheme := "http"
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			uriScheme = "https"
			req.ClientCertificate = peerCert(info.State)
		}
	}
	req.URI = uriScheme + "://" + authority + fullMethod
	return req
}

func peerCert(st tls.ConnectionState) *x509.Certificate {
	if len(st.PeerCertificates) == 0 {
		return nil
	}
	return st.PeerCertificates[0]
}
