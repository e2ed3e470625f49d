package nethttp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

type dpopResp struct {
	status    int
	challenge []string
	nonce     string
	body      string
}

func doDPoP(t *testing.T, client *http.Client, url, auth string, proofs []string, extra map[string]string) dpopResp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return dpopResp{resp.StatusCode, resp.Header.Values("WWW-Authenticate"), resp.Header.Get("DPoP-Nonce"), string(b)}
}

// TestDPoPOverHTTP runs DPoP (RFC 9449 §7) through the middleware over a
// real server: the scheme, the challenges, nonces and replays.
func TestDPoPOverHTTP(t *testing.T) {
	secret := []byte(strings.Repeat("n", 32))
	for _, mode := range []authz.DPoPMode{authz.DPoPAllowed, authz.DPoPRequired} {
		f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: mode, Algorithms: []string{"ES256", "EdDSA"}}))
		fn := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: mode, NonceSecret: secret}))
		srv := serve(t, nethttp.Middleware(f.v))
		srvN := serve(t, nethttp.Middleware(fn.v))
		key, _ := authztest.NewDPoPKey("ES256")
		bound := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
		boundN := fn.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
		u := srv.URL + "/v1/things"
		proof := func(tok string, opts ...authztest.ProofOption) string {
			p, err := key.Proof("GET", u, tok, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		good := proof(bound)
		r := doDPoP(t, srv.Client(), u, "DPoP "+bound, []string{good}, nil)
		if r.status != 200 || !strings.Contains(r.body, "sub=user-1") {
			t.Fatalf("%v: good DPoP request: %+v", mode, r)
		}
		// The same proof again: replayed.
		r = doDPoP(t, srv.Client(), u, "DPoP "+bound, []string{good}, nil)
		if r.status != 401 || !strings.HasPrefix(r.challenge[0], `DPoP algs="ES256 EdDSA", error="invalid_dpop_proof"`) {
			t.Fatalf("%v: replay: %+v", mode, r)
		}
		// A bad proof: the DPoP challenge first, with its error.
		r = doDPoP(t, srv.Client(), u, "DPoP "+bound, []string{proof(bound, authztest.WithProofClaim("htm", "POST"))}, nil)
		if r.status != 401 || !strings.HasPrefix(r.challenge[0], `DPoP algs=`) || !strings.Contains(r.challenge[0], `error="invalid_dpop_proof"`) {
			t.Fatalf("%v: bad proof: %+v", mode, r)
		}
		if mode == authz.DPoPAllowed && (len(r.challenge) != 2 || r.challenge[1] != `Bearer realm="api"`) {
			t.Fatalf("%v: the Bearer challenge beside a proof error: %q", mode, r.challenge)
		}
		// The bound token as Bearer.
		r = doDPoP(t, srv.Client(), u, "Bearer "+bound, nil, nil)
		if r.status != 401 || !strings.Contains(strings.Join(r.challenge, "|"), `error="invalid_token"`) {
			t.Fatalf("%v: bound token as Bearer: %+v", mode, r)
		}
		// No token at all: both challenges (or DPoP alone when required).
		r = doDPoP(t, srv.Client(), u, "", nil, nil)
		want := []string{`Bearer realm="api"`, `DPoP algs="ES256 EdDSA"`}
		if mode == authz.DPoPRequired {
			want = want[1:]
		}
		if r.status != 401 || strings.Join(r.challenge, "|") != strings.Join(want, "|") {
			t.Fatalf("%v: no token: %+v, want %q", mode, r, want)
		}
		// "DPoP" alone is a malformed header.
		if r = doDPoP(t, srv.Client(), u, "DPoP", nil, nil); r.status != 400 {
			t.Fatalf("%v: bare DPoP scheme: %+v", mode, r)
		}
		// Nonces: first refused with a nonce to use, then accepted with it.
		uN := srvN.URL + "/v1/things"
		p, _ := key.Proof("GET", uN, boundN)
		r = doDPoP(t, srvN.Client(), uN, "DPoP "+boundN, []string{p}, nil)
		if r.status != 401 || r.nonce == "" || !strings.Contains(r.challenge[0], `error="use_dpop_nonce"`) {
			t.Fatalf("%v: nonce missing: %+v", mode, r)
		}
		p, _ = key.Proof("GET", uN, boundN, authztest.WithProofNonce(r.nonce))
		if r = doDPoP(t, srvN.Client(), uN, "DPoP "+boundN, []string{p}, nil); r.status != 200 {
			t.Fatalf("%v: with the nonce: %+v", mode, r)
		}
		// A plain token as Bearer: fine when allowed, refused when required.
		plain := f.token(t, "", nil)
		r = doDPoP(t, srv.Client(), u, "Bearer "+plain, nil, nil)
		if (mode == authz.DPoPAllowed) != (r.status == 200) {
			t.Fatalf("%v: plain bearer: %+v", mode, r)
		}
	}
}

// TestDPoPBehindProxy: the htu is compared with the URI the client used,
// which comes from X-Forwarded-* only when the peer is a trusted proxy.
func TestDPoPBehindProxy(t *testing.T) {
	f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
	key, _ := authztest.NewDPoPKey("ES256")
	bound := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
	external := "https://api.example.com/v1/things"
	fwd := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example.com, api.example.com"}
	for _, tc := range []struct {
		name string
		opts []nethttp.Option
		want int
	}{
		{"trusted proxy", []nethttp.Option{nethttp.WithTrustedProxies("127.0.0.1")}, 200},
		{"trusted prefix", []nethttp.Option{nethttp.WithTrustedProxies("127.0.0.0/8")}, 200},
		{"Forwarded wins over X-Forwarded", []nethttp.Option{nethttp.WithTrustedProxies("127.0.0.1")}, -1},
		{"untrusted peer", []nethttp.Option{nethttp.WithTrustedProxies("10.0.0.0/8")}, 401},
		{"no proxies named", nil, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, nethttp.Middleware(f.v, tc.opts...))
			p, _ := key.Proof("GET", external, bound)
			hdr, want := fwd, tc.want
			if want == -1 {
				// The proof names the Forwarded host; X-Forwarded-Host lies.
				p, _ = key.Proof("GET", "https://edge.example.com/v1/things", bound)
				// The client's own element comes first; the proxy's is last.
				hdr = map[string]string{"Forwarded": `for=192.0.2.66;host=evil.example.com, for=192.0.2.1;proto=https;host="edge.example.com"`, "X-Forwarded-Host": "api.example.com"}
				want = 200
			}
			r := doDPoP(t, srv.Client(), srv.URL+"/v1/things", "DPoP "+bound, []string{p}, hdr)
			if r.status != want {
				t.Fatalf("status %d, want %d: %+v", r.status, want, r)
			}
		})
	}
	if _, err := nethttp.New(f.v, nethttp.WithTrustedProxies("not-an-ip")); err == nil {
		t.Fatal("a bad proxy address was accepted")
	}
}

// TestCertificateBoundOverTLS runs RFC 8705 §3 over a real mutual-TLS
// server, and through a trusted proxy's certificate header.
func TestCertificateBoundOverTLS(t *testing.T) {
	f := newFixture(t)
	certA, keyA := makeCert(t)
	certB, keyB := makeCert(t)
	tok := f.token(t, "", func(c map[string]any) { c["cnf"] = authztest.CertConfirmation(certA) })
	srv := httptest.NewUnstartedServer(nethttp.Middleware(f.v)(echoClaims))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := func(cert *x509.Certificate, key *ecdsa.PrivateKey) *http.Client {
		c := srv.Client()
		tr := c.Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}
		}
		return &http.Client{Transport: tr}
	}
	for _, tc := range []struct {
		name string
		c    *http.Client
		want int
	}{
		{"its certificate", client(certA, keyA), 200},
		{"another certificate", client(certB, keyB), 401},
		{"no certificate", client(nil, nil), 401},
	} {
		if r := doDPoP(t, tc.c, srv.URL+"/", "Bearer "+tok, nil, nil); r.status != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, r.status, tc.want)
		}
	}
	// Behind a TLS-terminating proxy: the certificate from its header, only
	// when the peer is trusted.
	escaped := url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certA.Raw})))
	for _, tc := range []struct {
		name   string
		opts   []nethttp.Option
		header string
		want   int
	}{
		{"nginx escaped PEM, trusted", []nethttp.Option{nethttp.WithTrustedProxies("127.0.0.1"), nethttp.WithClientCertificateHeader("X-SSL-Client-Cert")}, escaped, 200},
		{"envoy XFCC, trusted", []nethttp.Option{nethttp.WithTrustedProxies("127.0.0.1"), nethttp.WithClientCertificateHeader("X-Forwarded-Client-Cert")}, `Hash=abc;Cert="` + escaped + `";Subject="CN=client"`, 200},
		{"header from an untrusted peer", []nethttp.Option{nethttp.WithClientCertificateHeader("X-SSL-Client-Cert")}, escaped, 401},
		{"garbage header", []nethttp.Option{nethttp.WithTrustedProxies("127.0.0.1"), nethttp.WithClientCertificateHeader("X-SSL-Client-Cert")}, "%%%", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := serve(t, nethttp.Middleware(f.v, tc.opts...))
			name := "X-SSL-Client-Cert"
			if strings.HasPrefix(tc.header, "Hash=") {
				name = "X-Forwarded-Client-Cert"
			}
			if r := doDPoP(t, plain.Client(), plain.URL+"/", "Bearer "+tok, nil, map[string]string{name: tc.header}); r.status != tc.want {
				t.Fatalf("status %d, want %d: %+v", r.status, tc.want, r)
			}
		})
	}
}

func makeCert(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, k
}

// TestDPoPRequiredRoute: one route requires DPoP while the Validator
// allows Bearer elsewhere.
func TestDPoPRequiredRoute(t *testing.T) {
	f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
	strict := serve(t, nethttp.Middleware(f.v, nethttp.WithDPoPRequired()))
	lax := serve(t, nethttp.Middleware(f.v))
	plain := f.token(t, "", nil)
	key, _ := authztest.NewDPoPKey("ES256")
	bound := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
	if r := doDPoP(t, lax.Client(), lax.URL+"/", "Bearer "+plain, nil, nil); r.status != 200 {
		t.Fatalf("lax route, bearer: %+v", r)
	}
	r := doDPoP(t, strict.Client(), strict.URL+"/", "Bearer "+plain, nil, nil)
	if r.status != 401 || len(r.challenge) != 1 || !strings.HasPrefix(r.challenge[0], "DPoP ") {
		t.Fatalf("strict route, bearer: %+v", r)
	}
	p, _ := key.Proof("GET", strict.URL+"/", bound)
	if r := doDPoP(t, strict.Client(), strict.URL+"/", "DPoP "+bound, []string{p}, nil); r.status != 200 {
		t.Fatalf("strict route, DPoP: %+v", r)
	}
	if _, err := nethttp.New(newFixture(t).v, nethttp.WithDPoPRequired()); err == nil {
		t.Fatal("WithDPoPRequired accepted with DPoP disabled")
	}
}
