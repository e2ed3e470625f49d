package chiauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/jwtguard/jwtguard/adapters/chiauth"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// senderResponse is what a sender-constrained request got back.
type senderResponse struct {
	status    int
	challenge []string // every WWW-Authenticate value, in order
	nonce     string   // DPoP-Nonce
	body      string
}

// sendConstrained sends GET url with the Authorization value auth and, if
// not empty, the DPoP header proof.
func sendConstrained(t *testing.T, client *http.Client, url, auth, proof string) senderResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return senderResponse{res.StatusCode, res.Header.Values("WWW-Authenticate"), res.Header.Get("DPoP-Nonce"), string(b)}
}

// serveMTLS serves h over TLS, asking every client for a certificate
// (RFC 8705 §3) without requiring one.
func serveMTLS(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// clientWithCert is a client of srv that presents cert (none if nil).
func clientWithCert(srv *httptest.Server, cert *x509.Certificate, key *ecdsa.PrivateKey) *http.Client {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}
	}
	return &http.Client{Transport: tr}
}

// clientCert makes a self-signed TLS client certificate.
func clientCert(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

// TestSenderConstrained runs DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705) through a chi router on real servers, plain and mutual TLS.
// The cases run in order: the replay reuses the first case's proof.
func TestSenderConstrained(t *testing.T) {
	f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
	r := chi.NewRouter()
	r.With(chiauth.Require(f.v)).Get("/v1/things/{id}", whoami)
	srv := serve(t, r)
	tlsSrv := serveMTLS(t, r)
	const path = "/v1/things/7"
	u, tlsU := srv.URL+path, tlsSrv.URL+path

	key, err := authztest.NewDPoPKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	bound := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
	plain := f.token(t, "", nil)
	certA, keyA := clientCert(t)
	certB, keyB := clientCert(t)
	certBound := f.token(t, "", func(c map[string]any) { c["cnf"] = authztest.CertConfirmation(certA) })
	proof := func(method, uri string) string {
		p, err := key.Proof(method, uri, bound)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := proof("GET", u)

	const (
		dpopChallenge = `DPoP algs=`
		proofError    = `error="invalid_dpop_proof"`
		tokenError    = `Bearer realm="api", error="invalid_token"`
		handlerBody   = "sub=user-1 scopes= pattern=/v1/things/{id} tenant="
	)
	tests := []struct {
		name        string
		client      *http.Client
		url         string
		auth, proof string
		wantStatus  int
		wantFirst   string // prefix of the first WWW-Authenticate value
		wantError   string // in the first WWW-Authenticate value
		wantBody    string
	}{
		{name: "DPoP-bound token with a good proof", client: srv.Client(), url: u, auth: "DPoP " + bound, proof: good,
			wantStatus: 200, wantBody: handlerBody},
		{name: "the same proof again", client: srv.Client(), url: u, auth: "DPoP " + bound, proof: good,
			wantStatus: 401, wantFirst: dpopChallenge, wantError: proofError},
		{name: "a proof for another method", client: srv.Client(), url: u, auth: "DPoP " + bound, proof: proof("POST", u),
			wantStatus: 401, wantFirst: dpopChallenge, wantError: proofError},
		{name: "a proof for another URI", client: srv.Client(), url: u, auth: "DPoP " + bound, proof: proof("GET", srv.URL+"/v1/things/8"),
			wantStatus: 401, wantFirst: dpopChallenge, wantError: proofError},
		{name: "DPoP-bound token as Bearer", client: srv.Client(), url: u, auth: "Bearer " + bound,
			wantStatus: 401, wantFirst: tokenError, wantError: `error="invalid_token"`},
		{name: "plain token as Bearer", client: srv.Client(), url: u, auth: "Bearer " + plain,
			wantStatus: 200, wantBody: handlerBody},
		{name: "DPoP over TLS, htu https", client: tlsSrv.Client(), url: tlsU, auth: "DPoP " + bound, proof: proof("GET", tlsU),
			wantStatus: 200, wantBody: handlerBody},
		{name: "certificate-bound token with its certificate", client: clientWithCert(tlsSrv, certA, keyA), url: tlsU, auth: "Bearer " + certBound,
			wantStatus: 200, wantBody: handlerBody},
		{name: "certificate-bound token with another certificate", client: clientWithCert(tlsSrv, certB, keyB), url: tlsU, auth: "Bearer " + certBound,
			wantStatus: 401, wantFirst: tokenError, wantError: `error="invalid_token"`},
		{name: "certificate-bound token without a certificate", client: clientWithCert(tlsSrv, nil, nil), url: tlsU, auth: "Bearer " + certBound,
			wantStatus: 401, wantFirst: tokenError, wantError: `error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sendConstrained(t, tt.client, tt.url, tt.auth, tt.proof)
			if got.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %+v", got.status, tt.wantStatus, got)
			}
			if tt.wantStatus == 200 {
				if got.body != tt.wantBody || len(got.challenge) != 0 {
					t.Fatalf("handler answered %q (challenges %q), want %q", got.body, got.challenge, tt.wantBody)
				}
				return
			}
			// DPoP allowed: a Bearer and a DPoP challenge, the one that
			// holds the error first.
			if len(got.challenge) != 2 || !strings.HasPrefix(got.challenge[0], tt.wantFirst) || !strings.Contains(got.challenge[0], tt.wantError) {
				t.Fatalf("WWW-Authenticate %q, want 2 values, the first %q… holding %s", got.challenge, tt.wantFirst, tt.wantError)
			}
			if tt.wantFirst == dpopChallenge && got.challenge[1] != `Bearer realm="api"` {
				t.Fatalf("second WWW-Authenticate %q, want the bare Bearer challenge", got.challenge[1])
			}
		})
	}
}

// TestDPoPNonce: the DPoP-Nonce header of a use_dpop_nonce refusal (RFC
// 9449 §8) reaches the client through chi, and a proof with it passes.
func TestDPoPNonce(t *testing.T) {
	f := newFixture(t, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed, NonceSecret: []byte(strings.Repeat("n", 32))}))
	r := chi.NewRouter()
	r.With(chiauth.Require(f.v)).Get("/v1/things/{id}", whoami)
	srv := serve(t, r)
	u := srv.URL + "/v1/things/7"
	key, err := authztest.NewDPoPKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	bound := f.token(t, "", func(c map[string]any) { c["cnf"] = key.Confirmation() })
	p, err := key.Proof("GET", u, bound)
	if err != nil {
		t.Fatal(err)
	}
	got := sendConstrained(t, srv.Client(), u, "DPoP "+bound, p)
	if got.status != 401 || got.nonce == "" || len(got.challenge) == 0 ||
		!strings.HasPrefix(got.challenge[0], `DPoP algs=`) || !strings.Contains(got.challenge[0], `error="use_dpop_nonce"`) {
		t.Fatalf("without a nonce: %+v", got)
	}
	p, err = key.Proof("GET", u, bound, authztest.WithProofNonce(got.nonce))
	if err != nil {
		t.Fatal(err)
	}
	if got = sendConstrained(t, srv.Client(), u, "DPoP "+bound, p); got.status != 200 || !strings.HasPrefix(got.body, "sub=user-1 ") {
		t.Fatalf("with the nonce: %+v", got)
	}
}
