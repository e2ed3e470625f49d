package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/jwtguard/jwtguard/authzotel"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/forwardauth"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes every POST
// /v1/traces and keeps the requests.
type otlpReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*coltracepb.ExportTraceServiceRequest
	hits int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	rc := &otlpReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.hits++
		rc.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			t.Errorf("receiver: %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("receiver: decoding (%s): %v", r.Header.Get("Content-Type"), err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, &req)
		rc.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// receivedSpan is a span with its resource's attributes.
type receivedSpan struct {
	*tracepb.Span
	resource []*commonpb.KeyValue
}

func (rc *otlpReceiver) spans() []receivedSpan {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []receivedSpan
	for _, req := range rc.reqs {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out = append(out, receivedSpan{s, rs.GetResource().GetAttributes()})
				}
			}
		}
	}
	return out
}

func (rc *otlpReceiver) requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits
}

func attr(kvs []*commonpb.KeyValue, key string) (*commonpb.AnyValue, bool) {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue(), true
		}
	}
	return nil, false
}

// clearOTelEnv unsets the OpenTelemetry variables the tests do not set.
func clearOTelEnv(t *testing.T) {
	for _, k := range []string{
		"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	} {
		t.Setenv(k, "")
	}
}

// tracedServer runs serve with an issuer, one protected and one anonymous
// route, an identity header and a gRPC listener; stop shuts it down
// (flushing the traces) and waits for it.
type tracedServer struct {
	idp      *authztest.Issuer
	base     string
	grpcAddr string
	logs     *syncBuffer
	reload   chan os.Signal
	stop     func()
}

func startTracedServer(t *testing.T) *tracedServer {
	idp := authztest.NewT(t)
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gaddr := gln.Addr().String()
	gln.Close()
	path := writeFile(t, fmt.Sprintf(`grpc_listen: %s
issuers:
  - issuer: %s
    audiences: [api]
identity_headers:
  - {header: X-User, claim: sub}
  - {header: X-Email, claim: email}
rules:
  - name: api
    paths: [/api/*]
  - name: open
    paths: [/open]
    anonymous: true
`, gaddr, idp.URL()))
	srv := startServe(t, path)
	return &tracedServer{idp: idp, base: srv.base, grpcAddr: gaddr, logs: srv.logs, reload: srv.reload, stop: srv.stop}
}

func (ts *tracedServer) get(t *testing.T, path string, header map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.base+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestServeTraces: with an OTLP endpoint in the environment, a decision
// makes a server span continuing the proxy's trace, authzotel's validation
// span is its child, the spans reach the receiver by shutdown, and neither
// the token nor a claim value is in any of them.
func TestServeTraces(t *testing.T) {
	clearOTelEnv(t)
	rc := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.URL)
	t.Setenv("OTEL_SERVICE_NAME", "authorizer-under-test")
	ts := startTracedServer(t)

	const (
		sub   = "sub-Zq81-distinctive"
		email = "mail-Xw27-distinctive@example.test"
		extra = "extra-Kp64-distinctive"
	)
	claims := ts.idp.Claims(sub, "api")
	claims["email"] = email
	claims["department"] = extra
	token := ts.idp.MustMint(t, claims)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parentID = "00f067aa0ba902b7"
	tp := "00-" + traceID + "-" + parentID + "-01"
	if s := ts.get(t, "/auth/nginx", map[string]string{
		"X-Original-Method": "GET", "X-Original-URI": "/api/x", "Authorization": "Bearer " + token, "traceparent": tp,
	}); s != 200 {
		t.Fatalf("allowed request: %d; logs:\n%s", s, ts.logs.String())
	}
	// A denial (no token) through the forward endpoint, without a
	// traceparent: a new trace.
	if s := ts.get(t, "/auth/forward", map[string]string{
		"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/api/y", "X-Forwarded-Host": "example.test",
	}); s != 401 {
		t.Fatalf("denied request: %d", s)
	}
	// An Envoy HTTP check with a bad token.
	if s := ts.get(t, "/auth/envoy/api/z", map[string]string{"Authorization": "Bearer " + token + "x", "traceparent": tp}); s != 401 {
		t.Fatalf("envoy request: %d", s)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if s := ts.get(t, p, map[string]string{"traceparent": tp}); s != 200 {
			t.Fatalf("%s: %d", p, s)
		}
	}
	// A reload builds a new Validator: it gets the hooks too (the gRPC
	// decision below checks its validation span).
	ts.reload <- syscall.SIGHUP
	for end := time.Now().Add(5 * time.Second); !strings.Contains(ts.logs.String(), `"msg":"reloaded"`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no reload; logs:\n%s", ts.logs.String())
		}
	}
	// gRPC Check with Envoy's traceparent in the metadata.
	const grpcTraceID = "0af7651916cd43dd8448eb211c80319c"
	conn, err := grpc.NewClient(ts.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	creq := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Host: "h", Path: "/api/g",
			Headers: map[string]string{"authorization": "Bearer " + token}},
	}}}
	var cres *authv3.CheckResponse
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		cctx = metadata.AppendToOutgoingContext(cctx, "traceparent", "00-"+grpcTraceID+"-b7ad6b7169203331-01")
		cres, err = authv3.NewAuthorizationClient(conn).Check(cctx, creq)
		ccancel()
		if err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil || cres.GetStatus().GetCode() != 0 {
		t.Fatalf("Check: %v, %v", cres, err)
	}

	ts.stop() // flushes
	spans := rc.spans()
	if len(spans) == 0 {
		t.Fatalf("no spans received (%d requests); logs:\n%s", rc.requests(), ts.logs.String())
	}

	var decisions []receivedSpan
	byID := map[string]receivedSpan{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
		if s.Name == forwardauth.SpanDecision {
			decisions = append(decisions, s)
		}
		if v, _ := attr(s.resource, "service.name"); v.GetStringValue() != "authorizer-under-test" {
			t.Errorf("service.name %v", v)
		}
	}
	if len(decisions) != 4 {
		t.Fatalf("%d decision spans, want 4 (nginx, forward, envoy, envoy-grpc): %v", len(decisions), decisions)
	}
	find := func(endpoint string) receivedSpan {
		for _, s := range decisions {
			if v, _ := attr(s.Attributes, "jwtguard.endpoint"); v.GetStringValue() == endpoint {
				return s
			}
		}
		t.Fatalf("no decision span for %s", endpoint)
		return receivedSpan{}
	}
	check := func(endpoint string, wantTrace, wantParent string, status int64, reason string) receivedSpan {
		t.Helper()
		s := find(endpoint)
		if s.Kind != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("%s: kind %v", endpoint, s.Kind)
		}
		if wantTrace != "" && hex.EncodeToString(s.TraceId) != wantTrace {
			t.Errorf("%s: trace %x, want %s", endpoint, s.TraceId, wantTrace)
		}
		if got := hex.EncodeToString(s.ParentSpanId); got != wantParent {
			t.Errorf("%s: parent %q, want %q", endpoint, got, wantParent)
		}
		if v, _ := attr(s.Attributes, "http.response.status_code"); v.GetIntValue() != status {
			t.Errorf("%s: status %v, want %d", endpoint, v, status)
		}
		if v, _ := attr(s.Attributes, "jwtguard.decision.reason"); v.GetStringValue() != reason {
			t.Errorf("%s: reason %v, want %s", endpoint, v, reason)
		}
		return s
	}
	nginx := check("nginx", traceID, parentID, 200, "allowed")
	forward := check("forward", "", "", 401, "missing_token")
	check("envoy", traceID, parentID, 401, "malformed")
	grpcSpan := check("envoy-grpc", grpcTraceID, "b7ad6b7169203331", 200, "allowed")
	if hex.EncodeToString(forward.TraceId) == traceID {
		t.Error("the request without traceparent joined another trace")
	}

	// The validation spans are children of the decision spans.
	children := func(parent receivedSpan) (n int) {
		for _, s := range spans {
			if s.Name == authzotel.SpanValidate && string(s.ParentSpanId) == string(parent.SpanId) {
				if string(s.TraceId) != string(parent.TraceId) {
					t.Errorf("validation span in another trace")
				}
				n++
			}
		}
		return n
	}
	if n := children(nginx); n != 1 {
		t.Errorf("nginx decision: %d validation children, want 1", n)
	}
	if n := children(grpcSpan); n != 1 {
		t.Errorf("grpc decision: %d validation children, want 1", n)
	}
	for _, s := range spans {
		if s.Name != forwardauth.SpanDecision && s.Name != authzotel.SpanValidate && s.Name != authzotel.SpanFetch {
			t.Errorf("unexpected span %q", s.Name)
		}
	}

	// Nothing of the token or its claims is recorded.
	secrets := []string{token, sub, email, extra}
	secrets = append(secrets, strings.Split(token, ".")...)
	for _, s := range spans {
		var texts []string
		texts = append(texts, s.Name, s.GetStatus().GetMessage(), s.TraceState)
		texts = appendValues(texts, s.Attributes)
		texts = appendValues(texts, s.resource)
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			texts = appendValues(texts, e.Attributes)
		}
		for _, l := range s.Links {
			texts = appendValues(texts, l.Attributes)
		}
		for _, text := range texts {
			for _, secret := range secrets {
				if secret != "" && strings.Contains(text, secret) {
					t.Errorf("span %q records %q", s.Name, secret)
				}
			}
		}
	}
}

func appendValues(out []string, kvs []*commonpb.KeyValue) []string {
	for _, kv := range kvs {
		out = append(out, kv.GetKey(), kv.GetValue().String())
	}
	return out
}

// TestServeNoTraces: without an OTLP endpoint, or with
// OTEL_TRACES_EXPORTER=none, nothing is sent.
func TestServeNoTraces(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exporter string
		endpoint bool
	}{{"unset", "", false}, {"none", "none", true}} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			rc := newOTLPReceiver(t)
			if tc.endpoint {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.URL)
			}
			t.Setenv("OTEL_TRACES_EXPORTER", tc.exporter)
			ts := startTracedServer(t)
			token := ts.idp.MustMint(t, ts.idp.Claims("someone", "api"))
			if s := ts.get(t, "/auth/nginx", map[string]string{
				"X-Original-Method": "GET", "X-Original-URI": "/api/x", "Authorization": "Bearer " + token,
				"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			}); s != 200 {
				t.Fatalf("status %d", s)
			}
			ts.stop()
			if n := rc.requests(); n != 0 {
				t.Errorf("%d requests reached the receiver", n)
			}
			if strings.Contains(ts.logs.String(), "exporting traces") {
				t.Error("traces announced")
			}
		})
	}
}

// TestExportTimeout: the exporter's timeout from the environment is
// capped.
func TestExportTimeout(t *testing.T) {
	clearOTelEnv(t)
	for _, tc := range []struct {
		traces, all string
		want        time.Duration
	}{
		{"", "", traceExportTimeout},
		{"", "2500", 2500 * time.Millisecond},
		{"1000", "2500", time.Second},
		{"600000", "", traceExportTimeout},
		{"x", "", traceExportTimeout},
	} {
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", tc.traces)
		t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", tc.all)
		if got := exportTimeout(); got != tc.want {
			t.Errorf("%q, %q: %v, want %v", tc.traces, tc.all, got, tc.want)
		}
	}
}
