package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
)

func TestServeRefusesBadConfig(t *testing.T) {
	p := writeFile(t, "listen: 127.0.0.1:0\nissuers:\n  - preset: auth0\n    domian: x\nrules:\n  - paths: [admin]\n")
	code, _, errOut := jwtguard(t, "", "serve", "--config", p)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, p+":4: field domian not found") {
		t.Errorf("stderr lacks the line of the typo:\n%s", errOut)
	}
	if code, _, _ := jwtguard(t, "", "serve"); code != exitUsage {
		t.Errorf("serve without --config: exit %d", code)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// running is a serve call running in a test on the configuration file at
// path: its base URL, logs and reload channel. stop cancels it and waits
// (bounded) for a clean shutdown; the test's cleanup calls it too.
type running struct {
	base   string
	path   string
	logs   *syncBuffer
	reload chan os.Signal
	stop   func()
}

// startServe loads the configuration file at path and runs serve on a free
// loopback port until stop or the end of the test.
func startServe(t *testing.T, path string) *running {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{base: "http://" + ln.Addr().String(), path: path, logs: new(syncBuffer), reload: make(chan os.Signal, 1)}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, path, ln, r.reload, r.logs) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("serve did not shut down")
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// TestServeReloadAndShutdown: a reload (SIGHUP) applies the new rules, a
// refused reload keeps the old ones, and cancelling (SIGTERM) shuts down
// cleanly.
func TestServeReloadAndShutdown(t *testing.T) {
	idp := authztest.NewT(t)
	yaml := func(extraPath string) string {
		return fmt.Sprintf("issuers:\n  - issuer: %s\n    audiences: [api]\nrules:\n  - paths: [/open, %s]\n    anonymous: true\n", idp.URL(), extraPath)
	}
	path := writeFile(t, yaml("/a"))
	srv := startServe(t, path)
	base, reload, logs := srv.base, srv.reload, srv.logs

	status := func(uri string) int {
		req, _ := http.NewRequest("GET", base+"/auth/nginx", nil)
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URI", uri)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status("/a"); s != 200 {
		t.Fatalf("/a: %d before reload", s)
	}
	// waitFor polls until the condition holds (bounded: 5 s).
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s; logs:\n%s", what, logs.String())
	}
	if err := os.WriteFile(path, []byte(yaml("/b")), 0o600); err != nil {
		t.Fatal(err)
	}
	reload <- syscall.SIGHUP
	waitFor("the reload", func() bool { return status("/b") == 200 })
	if s := status("/a"); s != 403 {
		t.Errorf("/a after reload: %d, want 403", s)
	}
	// A broken file is refused; the running rules stay.
	if err := os.WriteFile(path, []byte("rules: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reload <- syscall.SIGHUP
	waitFor("the refusal", func() bool { return strings.Contains(logs.String(), "reload refused") })
	if s := status("/b"); s != 200 {
		t.Errorf("/b after a refused reload: %d, want 200", s)
	}
	srv.stop()
	if strings.Contains(logs.String(), `"level":"ERROR","msg":"serving"`) {
		t.Error("unexpected log")
	}
}

// TestServeReloadOnFileChange: a changed file is picked up without a
// signal.
func TestServeReloadOnFileChange(t *testing.T) {
	defer func(d time.Duration) { watchInterval = d }(watchInterval)
	watchInterval = 20 * time.Millisecond
	idp := authztest.NewT(t)
	yaml := func(p string) string {
		return fmt.Sprintf("issuers:\n  - issuer: %s\n    audiences: [api]\nrules:\n  - paths: [%s]\n    anonymous: true\n", idp.URL(), p)
	}
	path := writeFile(t, yaml("/a"))
	srv := startServe(t, path)
	logs := srv.logs
	status := func(uri string) int {
		req, _ := http.NewRequest("GET", srv.base+"/auth/forward", nil)
		req.Header.Set("X-Forwarded-Method", "GET")
		req.Header.Set("X-Forwarded-Uri", uri)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status("/a"); s != 200 {
		t.Fatalf("/a: %d", s)
	}
	if err := os.WriteFile(path, []byte(yaml("/bbb")), 0o600); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); status("/bbb") != 200; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the changed file was not loaded (stamp %+v); logs:\n%s", fileStamp(path), logs.String())
		}
	}
}

// TestServeGRPC: with grpc_listen, serve answers Envoy's gRPC Check too.
func TestServeGRPC(t *testing.T) {
	idp := authztest.NewT(t)
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gaddr := gln.Addr().String()
	gln.Close()
	path := writeFile(t, fmt.Sprintf("grpc_listen: %s\nissuers:\n  - issuer: %s\n    audiences: [api]\nrules:\n  - paths: [/open]\n    anonymous: true\n", gaddr, idp.URL()))
	srv := startServe(t, path)
	logs := srv.logs
	conn, err := grpc.NewClient(gaddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Host: "h", Path: "/open"},
	}}}
	var res *authv3.CheckResponse
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		res, err = authv3.NewAuthorizationClient(conn).Check(cctx, req)
		ccancel()
		if err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil || res.GetStatus().GetCode() != 0 {
		t.Errorf("Check: %v, %v; logs:\n%s", res, err, logs.String())
	}
}

// TestExampleConfig: the example configuration (the one in
// docs/authorizer.md) is accepted.
func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	is, err := cfg.AuthzIssuers()
	if err != nil || len(is) != 7 || cfg.GRPCListen == "" || len(cfg.Rules) != 4 {
		t.Errorf("issuers %d, rules %d, grpc %q, err %v", len(is), len(cfg.Rules), cfg.GRPCListen, err)
	}
}
