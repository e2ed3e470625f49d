package adaptertest

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

	"github.com/jwtguard/jwtguard/adapters/nethttp"
	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// SenderPath is the path RunSenderConstrained sends every request to,
// with GET. A route for a pattern that matches it (such as
// "/v1/things/{id}") serves it.
const SenderPath = "/v1/things/7"

// senderScope is the scope of the suite's tokens, which the handler must
// see (WriteReached reports it).
const senderScope = "read:things"

// SenderServe connects RunSenderConstrained to one HTTP adapter. It builds
// a route for GET SenderPath: the adapter's guard for v with its default
// settings (authz.WithDPoP is set on v), in front of a handler that
// answers with WriteReached (HTTPHandler) with the claims it found. The
// handler may check more of the adapter's own view first (a route
// pattern, two ways to the claims that must agree) and answer anything
// else, such as a 500 saying what differs; the case then fails.
//
// SenderServe serves the route until t ends — over TLS when overTLS is
// true, asking every client for a certificate (RFC 8705 §3) without
// requiring one — and returns the server's base URL (scheme, host, port)
// and a client of it whose Transport is an *http.Transport that trusts the
// server (the suite clones it to present client certificates). ServeHTTP
// does all of this for an http.Handler.
type SenderServe func(t *testing.T, v *authz.Validator, overTLS bool) (baseURL string, client *http.Client)

// ServeHTTP serves h on an httptest server until t ends, as SenderServe
// wants: plain HTTP, or when overTLS is true TLS asking every client for a
// certificate without requiring one.
func ServeHTTP(t *testing.T, h http.Handler, overTLS bool) (baseURL string, client *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	if overTLS {
		srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv.URL, srv.Client()
}

// RunSenderConstrained runs sender-constrained tokens through the adapter
// serve builds, each case as a subtest: DPoP (RFC 9449) over plain HTTP
// and TLS — a good proof, its replay, proofs for another method or URI,
// a DPoP-bound token sent as Bearer, a plain Bearer token beside them, a
// server nonce (use_dpop_nonce and the DPoP-Nonce header, §8) — and
// certificate-bound tokens (RFC 8705) over mutual TLS with their
// certificate, another one, and none.
//
// The Validators accept DPoP without requiring it (authz.DPoPAllowed): a
// refusal carries two WWW-Authenticate values, the one with the error
// first. An accepted request must reach the handler with the token's
// claims (subject and scopes) and no challenge.
func RunSenderConstrained(t *testing.T, serve SenderServe) {
	t.Helper()
	if serve == nil {
		t.Fatal("adaptertest: RunSenderConstrained: serve is nil")
	}
	iss := authztest.NewT(t)
	mint := func(edit func(map[string]any)) string {
		c := iss.Claims("user-1", Audience)
		c["scope"] = senderScope
		if edit != nil {
			edit(c)
		}
		return iss.MustMint(t, c)
	}

	t.Run("DPoP and certificate-bound", func(t *testing.T) {
		v := newValidator(t, iss, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed}))
		base, client := serve(t, v, false)
		tlsBase, tlsClient := serve(t, v, true)
		if !strings.HasPrefix(tlsBase, "https://") {
			t.Fatalf("adaptertest: the TLS server's base URL is %q, want https://…", tlsBase)
		}
		u, tlsU := base+SenderPath, tlsBase+SenderPath

		key, err := authztest.NewDPoPKey("ES256")
		if err != nil {
			t.Fatal(err)
		}
		bound := mint(func(c map[string]any) { c["cnf"] = key.Confirmation() })
		plain := mint(nil)
		certA, keyA := clientCert(t)
		certB, keyB := clientCert(t)
		certBound := mint(func(c map[string]any) { c["cnf"] = authztest.CertConfirmation(certA) })
		proof := func(method, uri string) string {
			t.Helper()
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
			tokenError    = `error="invalid_token"`
		)
		bareBearer := `Bearer realm="` + nethttp.DefaultRealm + `"`
		tokenChallenge := bareBearer + `, ` + tokenError
		// The cases run in order: the replay reuses the first case's proof.
		cases := []struct {
			name        string
			client      *http.Client
			url         string
			auth, proof string
			// want: 200 reaching the handler, or a refusal whose first
			// WWW-Authenticate value starts with wantFirst and holds
			// wantError.
			wantStatus int
			wantFirst  string
			wantError  string
		}{
			{name: "DPoP-bound token with a good proof", client: client, url: u, auth: "DPoP " + bound, proof: good,
				wantStatus: 200},
			{name: "the same proof again", client: client, url: u, auth: "DPoP " + bound, proof: good,
				wantStatus: 401, wantFirst: dpopChallenge, wantError: proofError},
			{name: "a proof for another method", client: client, url: u, auth: "DPoP " + bound, proof: proof("POST", u),
				wantStatus: 401, wantFirst: dpopChallenge, wantError: proofError},
			{name: "a proof for another URI", client: client, url: u, auth: "DPoP " + bound, proof: proof("GET", base+"/v1/things/8"),
				wantStatus: 401, wantFirst: dpopChallenge, wantError: proofError},
			{name: "DPoP-bound token as Bearer", client: client, url: u, auth: "Bearer " + bound,
				wantStatus: 401, wantFirst: tokenChallenge, wantError: tokenError},
			{name: "plain token as Bearer", client: client, url: u, auth: "Bearer " + plain,
				wantStatus: 200},
			{name: "DPoP over TLS, htu https", client: tlsClient, url: tlsU, auth: "DPoP " + bound, proof: proof("GET", tlsU),
				wantStatus: 200},
			{name: "certificate-bound token with its certificate", client: clientWithCert(t, tlsClient, certA, keyA), url: tlsU, auth: "Bearer " + certBound,
				wantStatus: 200},
			{name: "certificate-bound token with another certificate", client: clientWithCert(t, tlsClient, certB, keyB), url: tlsU, auth: "Bearer " + certBound,
				wantStatus: 401, wantFirst: tokenChallenge, wantError: tokenError},
			{name: "certificate-bound token without a certificate", client: clientWithCert(t, tlsClient, nil, nil), url: tlsU, auth: "Bearer " + certBound,
				wantStatus: 401, wantFirst: tokenChallenge, wantError: tokenError},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := sendConstrained(t, tc.client, tc.url, tc.auth, tc.proof)
				if got.status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %+v", got.status, tc.wantStatus, got)
				}
				if tc.wantStatus == http.StatusOK {
					checkReached(t, got)
					return
				}
				if got.reached {
					t.Fatal("the handler ran")
				}
				// DPoP allowed: a Bearer and a DPoP challenge, the one that
				// holds the error first.
				if len(got.challenge) != 2 || !strings.HasPrefix(got.challenge[0], tc.wantFirst) || !strings.Contains(got.challenge[0], tc.wantError) {
					t.Fatalf("WWW-Authenticate %q, want 2 values, the first %q… holding %s", got.challenge, tc.wantFirst, tc.wantError)
				}
				if tc.wantFirst == dpopChallenge && got.challenge[1] != bareBearer {
					t.Fatalf("second WWW-Authenticate %q, want the bare Bearer challenge %q", got.challenge[1], bareBearer)
				}
			})
		}
	})

	// The DPoP-Nonce header of a use_dpop_nonce refusal (RFC 9449 §8)
	// reaches the client, and a proof with it passes.
	t.Run("DPoP nonce", func(t *testing.T) {
		v := newValidator(t, iss, authz.WithDPoP(authz.DPoPOptions{Mode: authz.DPoPAllowed, NonceSecret: []byte(strings.Repeat("n", 32))}))
		base, client := serve(t, v, false)
		u := base + SenderPath
		key, err := authztest.NewDPoPKey("ES256")
		if err != nil {
			t.Fatal(err)
		}
		bound := mint(func(c map[string]any) { c["cnf"] = key.Confirmation() })
		p, err := key.Proof("GET", u, bound)
		if err != nil {
			t.Fatal(err)
		}
		got := sendConstrained(t, client, u, "DPoP "+bound, p)
		if got.status != http.StatusUnauthorized || got.reached || got.nonce == "" || len(got.challenge) == 0 ||
			!strings.HasPrefix(got.challenge[0], `DPoP algs=`) || !strings.Contains(got.challenge[0], `error="use_dpop_nonce"`) {
			t.Fatalf("without a nonce: %+v, want 401, a DPoP-Nonce and a use_dpop_nonce DPoP challenge first", got)
		}
		p, err = key.Proof("GET", u, bound, authztest.WithProofNonce(got.nonce))
		if err != nil {
			t.Fatal(err)
		}
		got = sendConstrained(t, client, u, "DPoP "+bound, p)
		if got.status != http.StatusOK {
			t.Fatalf("with the nonce: status %d, want 200: %+v", got.status, got)
		}
		checkReached(t, got)
	})
}

// senderResponse is what a sender-constrained request got back.
type senderResponse struct {
	status    int
	challenge []string // every WWW-Authenticate value, in order
	nonce     string   // DPoP-Nonce
	reached   bool     // the handler answered (WriteReached)
	scope     string   // the scopes the handler saw
	body      string   // the subject the handler saw, or the refusal
}

// checkReached fails t unless got is the handler's answer for the suite's
// tokens, without a challenge.
func checkReached(t *testing.T, got senderResponse) {
	t.Helper()
	if !got.reached || got.body != "user-1" || got.scope != senderScope || len(got.challenge) != 0 {
		t.Fatalf("handler answered %+v, want it reached with subject %q, scope %q and no challenge", got, "user-1", senderScope)
	}
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
	return senderResponse{
		status:    res.StatusCode,
		challenge: res.Header.Values("WWW-Authenticate"),
		nonce:     res.Header.Get("DPoP-Nonce"),
		reached:   res.Header.Get(reachedHeader) != "",
		scope:     res.Header.Get(scopeHeader),
		body:      string(b),
	}
}

// clientWithCert is a client like c (whose Transport must be an
// *http.Transport) that presents cert (none if nil).
func clientWithCert(t *testing.T, c *http.Client, cert *x509.Certificate, key *ecdsa.PrivateKey) *http.Client {
	t.Helper()
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("adaptertest: the TLS client's Transport is %T, want *http.Transport", c.Transport)
	}
	tr = tr.Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.Certificates = nil
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
