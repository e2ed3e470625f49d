package nethttp

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/jwtguard/jwtguard/authz"
)

// Sender-constrained tokens (RFC 9449 DPoP, RFC 8705 certificate-bound
// tokens): the Guard hands authz.Validator.ValidateRequest the request's
// Authorization scheme, method, external URI, DPoP headers and client
// certificate. See docs/sender-constrained.md.

// WithTrustedProxies names the proxies (addresses or CIDR prefixes, such
// as "10.0.0.0/8" or "127.0.0.1") whose Forwarded (RFC 7239: proto and
// host of its last element) or else X-Forwarded-Proto and X-Forwarded-Host
// headers (their last values: what the proxy in front of us set, not what a
// client sent before it) give the URI a DPoP proof's htu is compared with,
// and whose client-certificate header (WithClientCertificateHeader) is
// believed. A request from any other address is taken as it arrived: its
// own Host and TLS state. Without this option no forwarded header is ever
// read.
func WithTrustedProxies(prefixes ...string) Option {
	return func(c *config) {
		for _, p := range prefixes {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				addr, err2 := netip.ParseAddr(p)
				if err2 != nil {
					c.fail("WithTrustedProxies: %q is not an address or prefix", p)
					continue
				}
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
			c.proxies = append(c.proxies, pfx.Masked())
		}
	}
}

// WithClientCertificateHeader reads the client certificate of a request
// that came through a trusted TLS-terminating proxy (WithTrustedProxies)
// from header: Envoy's X-Forwarded-Client-Cert (its Cert field) or a
// URL-escaped PEM certificate such as nginx's $ssl_client_escaped_cert.
// The header of a request from any other address is ignored.
func WithClientCertificateHeader(header string) Option {
	return func(c *config) {
		if header == "" {
			c.fail("WithClientCertificateHeader: empty header name")
		}
		c.certHeader = http.CanonicalHeaderKey(header)
	}
}

// WithDPoPRequired makes the route accept only DPoP-bound tokens with their
// proof (RFC 9449), where the Validator's mode is authz.DPoPAllowed: the
// per-route form of authz.DPoPRequired, for routes that must not take a
// bearer token (a payment, an admin API) beside others that may. New fails
// when the Validator has DPoP disabled.
func WithDPoPRequired() Option { return func(c *config) { c.requireDPoP = true } }

// token extracts the token and its Authorization scheme. With the default
// extractor and DPoP enabled on the Validator, the DPoP scheme is accepted
// beside Bearer (RFC 9449 §7.1). When lazy is true the token is not yet
// checked to be one b64token: Authorize checks that only if the Validator
// refuses it, since every token a Validator without validation hooks
// accepts is one (base64url parts and dots).
func (g *Guard) token(r *http.Request) (tok, scheme string, lazy bool, err error) {
	if !g.defaultExt {
		tok, err = g.extract(r)
		return tok, "Bearer", false, err
	}
	values := r.Header["Authorization"]
	if g.v.DPoPMode() != authz.DPoPDisabled {
		if tok, ok, err := parseDPoPAuthorization(values, !g.lazyToken); ok || err != nil {
			return tok, "DPoP", g.lazyToken, err
		}
	}
	tok, err = parseAuthorization(values, !g.lazyToken)
	return tok, "Bearer", g.lazyToken, err
}

// ParseDPoPAuthorization reads a token sent under the DPoP scheme (RFC 9449
// §7.1, "Authorization: DPoP <token>") from the values of the
// Authorization header: ok is false when there is not exactly one value or
// it has another scheme (then ParseAuthorization reads it); err is set for
// a DPoP value that is not one b64token.
func ParseDPoPAuthorization(values []string) (tok string, ok bool, err error) {
	return parseDPoPAuthorization(values, true)
}

// parseDPoPAuthorization is ParseDPoPAuthorization, checking that the token
// is one b64token only when checkToken is set (see parseAuthorization).
func parseDPoPAuthorization(values []string, checkToken bool) (tok string, ok bool, err error) {
	if len(values) != 1 {
		return "", false, nil // none, or several: ParseAuthorization answers
	}
	v := strings.Trim(values[0], " \t")
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "DPoP") {
		return "", false, nil
	}
	tok = strings.TrimLeft(rest, " ")
	if tok == "" || checkToken && !isB64Token(tok) {
		return "", true, errMalformedHeader
	}
	return tok, true, nil
}

// senderRequest describes r for authz.Validator.ValidateRequest.
func (g *Guard) senderRequest(r *http.Request, scheme string) authz.Request {
	req := authz.Request{Scheme: scheme, Method: r.Method, RequireDPoP: g.requireDPoP}
	if scheme == "DPoP" {
		// Only a DPoP proof is checked against the URI (htu).
		req.URI, req.DPoP = g.externalURI(r), r.Header.Values("DPoP")
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		req.ClientCertificate = r.TLS.PeerCertificates[0]
	} else if g.certHeader != "" && g.fromTrustedProxy(r) {
		req.ClientCertificate = parseCertHeader(r.Header.Get(g.certHeader))
	}
	return req
}

// externalURI is the URI the client addressed: scheme and host from the
// request itself, or from X-Forwarded-Proto / X-Forwarded-Host when a
// trusted proxy sent it; the path as received.
func (g *Guard) externalURI(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if g.fromTrustedProxy(r) {
		if p, h, ok := forwarded(r.Header.Values("Forwarded")); ok {
			if p == "http" || p == "https" {
				scheme = p
			}
			if h != "" {
				host = h
			}
		} else {
			if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p == "http" || p == "https" {
				scheme = p
			}
			if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" {
				host = h
			}
		}
	}
	return scheme + "://" + host + r.URL.EscapedPath()
}

// forwarded reads proto and host from the last element of an RFC 7239
// Forwarded header — the one the trusted proxy in front of us added (a
// proxy appends its element; the ones before it may be the client's own);
// ok is false when there is none. When present it wins over X-Forwarded-*.
func forwarded(values []string) (proto, host string, ok bool) {
	if len(values) == 0 {
		return "", "", false
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	for _, pair := range strings.Split(last, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(pair), "=")
		if !found {
			continue
		}
		v = strings.Trim(v, `"`)
		switch strings.ToLower(k) {
		case "proto":
			proto = strings.ToLower(v)
		case "host":
			host = strings.ToLower(v)
		}
	}
	return proto, host, true
}

// lastValue is the last element of a comma-separated header: the one the
// trusted proxy in front of us set (a proxy that appends leaves the
// client's own, forgeable, values before it).
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// fromTrustedProxy reports whether r's peer is one of the trusted proxies.
func (g *Guard) fromTrustedProxy(r *http.Request) bool {
	if len(g.proxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range g.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseCertHeader reads a certificate from Envoy's X-Forwarded-Client-Cert
// (the Cert="…" field) or from a URL-escaped PEM; nil when there is none
// or it does not parse.
func parseCertHeader(v string) *x509.Certificate {
	if v == "" || len(v) > 64<<10 {
		return nil
	}
	if i := strings.Index(v, "Cert=\""); i >= 0 {
		rest := v[i+len("Cert=\""):]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return nil
		}
		v = rest[:end]
	}
	pemText, err := url.QueryUnescape(v)
	if err != nil {
		return nil
	}
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil
	}
	return cert
}

// challenges are the WWW-Authenticate values for o: the Bearer challenge,
// and with DPoP enabled the DPoP one (RFC 9449 §7.1) — first when the error
// is the proof's, alone when DPoP is required.
func (g *Guard) challenges(o Outcome) []string {
	bearer := o.Challenge(g.realm, g.hideDesc)
	if bearer == "" {
		return nil
	}
	mode := g.v.DPoPMode()
	if mode == authz.DPoPAllowed && g.requireDPoP {
		mode = authz.DPoPRequired
	}
	switch mode {
	case authz.DPoPAllowed:
		dpop := o.DPoPChallenge(g.v.DPoPAlgorithms(), g.hideDesc)
		if o.DPoPError() {
			return []string{dpop, bearer}
		}
		return []string{bearer, dpop}
	case authz.DPoPRequired:
		return []string{o.DPoPChallenge(g.v.DPoPAlgorithms(), g.hideDesc)}
	}
	return []string{bearer}
}
