package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
	"github.com/jwtguard/jwtguard/internal/redistest"
)

// replica is one jwtguard serve process (a goroutine here) of a fleet.
type replica struct {
	t    *testing.T
	base string
	logs *syncBuffer
}

// startReplica runs serve on the configuration yaml until the test ends.
func startReplica(t *testing.T, yaml string) *replica {
	t.Helper()
	srv := startServe(t, writeFile(t, yaml))
	return &replica{t: t, base: srv.base, logs: srv.logs}
}

// status asks the replica about GET /api/x with token.
func (r *replica) status(token string) int {
	r.t.Helper()
	req, _ := http.NewRequest("GET", r.base+"/auth/nginx", nil)
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URI", "/api/x")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// get returns the body of path.
func (r *replica) get(path string) string {
	r.t.Helper()
	res, err := http.Get(r.base + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return fmt.Sprintf("%d %s", res.StatusCode, b)
}

// randomSecret writes 48 random bytes, base64, to a file of t's own.
func randomSecret(t *testing.T) (path string, secret []byte) {
	t.Helper()
	raw := make([]byte, 48)
	rand.Read(raw)
	secret = []byte(base64.StdEncoding.EncodeToString(raw))
	path = filepath.Join(t.TempDir(), "store-secret")
	if err := os.WriteFile(path, append(secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, secret
}

// TestServeSharedRedis runs replicas of jwtguard serve over one real
// Redis with the same store secret: the second starts warm from the
// first's document without asking the IdP; a document planted in Redis
// without the secret is not believed; and decisions go on when Redis
// stops.
func TestServeSharedRedis(t *testing.T) {
	addr := redistest.Server(t) // skips, saying why, without redis-server
	idp := authztest.NewT(t)
	secretFile, storeSecret := randomSecret(t)
	// The Redis asks for a password, which the replicas read from a file.
	passwordFile, password := randomSecret(t)
	{
		admin := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
		err := admin.ConfigSet(context.Background(), "requirepass", string(password)).Err()
		admin.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	const prefix = "e2e:"
	yaml := fmt.Sprintf(`log_level: debug
decision_timeout: 3s
keystore:
  type: redis
  redis:
    url: redis://%s/0
    password_file: %s
    prefix: %q
    timeout: 300ms
  secret_files: [%s]
issuers:
  - issuer: %s
    audiences: [api]
rules:
  - paths: [/api/*]
    scopes: [read]
`, addr, passwordFile, prefix, secretFile, idp.URL())
	mint := func(iss *authztest.Issuer, opts ...authztest.TokenOption) string {
		c := iss.Claims("alice", "api")
		c["iss"] = idp.URL() // a forged token claims the real issuer
		c["scope"] = "read"
		return iss.MustMint(t, c, opts...)
	}
	good := mint(idp)
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, Password: string(password), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	defer rdb.Close()
	ctx := context.Background()
	docKeys := func() []string {
		t.Helper()
		keys, err := rdb.Keys(ctx, prefix+"doc:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}

	// Replica 1 fetches the keys from the IdP and stores them.
	r1 := startReplica(t, yaml)
	if s := r1.status(good); s != 200 {
		t.Fatalf("replica 1: %d for a good token; logs:\n%s", s, r1.logs)
	}
	if idp.JWKSRequests() == 0 {
		t.Fatal("replica 1 did not fetch from the IdP")
	}
	for end := time.Now().Add(5 * time.Second); len(docKeys()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("replica 1 stored no document under %s; logs:\n%s", prefix, r1.logs)
		}
	}

	// Replica 2 starts warm from the document: not one request to the IdP.
	jwks, disco := idp.JWKSRequests(), idp.DiscoveryRequests()
	r2 := startReplica(t, yaml)
	if s := r2.status(good); s != 200 {
		t.Fatalf("replica 2: %d for a good token; logs:\n%s", s, r2.logs)
	}
	if n := idp.JWKSRequests() - jwks; n != 0 {
		t.Errorf("replica 2 made %d JWKS requests to the IdP, want 0 (it should read the shared document)", n)
	}
	if n := idp.DiscoveryRequests() - disco; n != 0 {
		t.Errorf("replica 2 made %d discovery requests, want 0 (jwks_uri travels with the document)", n)
	}
	if got := r2.get("/readyz"); got != "200 ready\n" {
		t.Errorf("replica 2 /readyz: %q", got)
	}

	// Someone who can write Redis, but lacks the secret, replaces every
	// document with one that publishes his own key under the IdP's kid,
	// signed with a secret of his own.
	evil := authztest.NewT(t)
	forged := mint(evil, authztest.WithKeyID(idp.KeyIDs()[0]))
	if s := r2.status(forged); s != 401 {
		t.Fatalf("replica 2: %d for a forged token before the poisoning", s)
	}
	_, wrongSecret := randomSecret(t)
	evilJWKS, err := json.Marshal(map[string]any{"keys": []any{authztest.PublicJWK(evil.PublicKey(evil.KeyIDs()[0]), idp.KeyIDs()[0], "RS256")}})
	if err != nil {
		t.Fatal(err)
	}
	plant := func(secret []byte) {
		t.Helper()
		for _, k := range docKeys() {
			doc, err := rdb.Get(ctx, k).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if err := rdb.Set(ctx, k, poison(t, doc, strings.TrimPrefix(k, prefix+"doc:"), secret, evilJWKS), time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	plant(wrongSecret)
	// And garbage under a key of the same shape, for good measure.
	if err := rdb.Set(ctx, prefix+"doc:jwks:https://garbage.example/", "jwtguard.v2.AAAA.{}", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}

	// Replica 3 starts on the poisoned store: it refuses the document,
	// fetches from the IdP and decides correctly.
	jwks = idp.JWKSRequests()
	r3 := startReplica(t, yaml)
	if s := r3.status(good); s != 200 {
		t.Errorf("replica 3: %d for a good token on a poisoned store; logs:\n%s", s, r3.logs)
	}
	if s := r3.status(forged); s != 401 {
		t.Errorf("replica 3: %d for the forged token the poisoned document would allow, want 401", s)
	}
	if idp.JWKSRequests() == jwks {
		t.Error("replica 3 did not go to the IdP: it took its keys from the poisoned document")
	}
	if m := r3.get("/metrics"); !strings.Contains(m, `jwtguard_store_rejected_documents_total{issuer="`) || !strings.Contains(m, `reason="mac"} `) {
		t.Errorf("replica 3 does not count the refused document:\n%s", m)
	}
	for _, r := range []*replica{r1, r2} {
		if s := r.status(forged); s != 401 {
			t.Errorf("%s: %d for the forged token after the poisoning, want 401", r.base, s)
		}
	}

	// The same writer now seals his document the way a store without a
	// secret expects it (insecure_without_secret: the MAC under the empty
	// key). Replica 3b has a secret: it must refuse that document too,
	// which a replica that left its secret unused would take.
	plant(nil)
	jwks = idp.JWKSRequests()
	r3b := startReplica(t, yaml)
	if s := r3b.status(forged); s != 401 {
		t.Errorf("replica 3b: %d for the forged token of a document sealed without a secret, want 401 (is the store secret used?)", s)
	}
	if s := r3b.status(good); s != 200 {
		t.Errorf("replica 3b: %d for a good token; logs:\n%s", s, r3b.logs)
	}
	if idp.JWKSRequests() == jwks {
		t.Error("replica 3b did not go to the IdP: it took its keys from the document sealed without a secret")
	}

	// Redis stops. Held keys keep answering; a rotation and a new replica
	// go to the IdP.
	_ = rdb.ShutdownNoSave(ctx).Err() // the connection drops: no answer to read
	listening := func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	for end := time.Now().Add(5 * time.Second); listening(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("Redis still answers after SHUTDOWN")
		}
	}
	for i, r := range []*replica{r1, r2, r3} {
		if s := r.status(good); s != 200 {
			t.Errorf("replica %d: %d for a good token with Redis down", i+1, s)
		}
		if s := r.status(forged); s != 401 {
			t.Errorf("replica %d: %d for a forged token with Redis down", i+1, s)
		}
	}
	kid, err := idp.Rotate("RS256")
	if err != nil {
		t.Fatal(err)
	}
	rotated := mint(idp)
	if !strings.Contains(tokenHeader(t, rotated), kid) {
		t.Fatal("the rotated key did not sign")
	}
	if s := r1.status(rotated); s != 200 {
		t.Errorf("replica 1: %d for a token of a rotated key with Redis down; logs:\n%s", s, r1.logs)
	}
	r4 := startReplica(t, yaml)
	if s := r4.status(good); s != 200 {
		t.Errorf("replica 4, started with Redis down: %d for a good token; logs:\n%s", s, r4.logs)
	}
	if got := r4.get("/readyz"); got != "200 ready\n" {
		t.Errorf("replica 4 /readyz with Redis down: %q (Redis is a cache: it must not make the authorizer unready)", got)
	}
	// No log line and no metric holds the store secret, the Redis
	// password or the forger's secret.
	for i, r := range []*replica{r1, r2, r3, r3b, r4} {
		name := []string{"1", "2", "3", "3b", "4"}[i]
		out := r.logs.String() + r.get("/metrics")
		if !strings.Contains(out, `"msg":"key store"`) {
			t.Errorf("replica %s: no key store line in its log: the search below would be empty", name)
		}
		for what, s := range map[string][]byte{"the store secret": storeSecret, "the Redis password": password, "the forger's secret": wrongSecret} {
			if strings.Contains(out, string(s)) {
				t.Errorf("replica %s: a log line or /metrics holds %s", name, what)
			}
		}
	}
}

// poison returns doc, a stored document of storeKey, with its JWKS
// replaced by jwks, made newer, and sealed as jwtguard seals documents
// (docs/keystores.md, "Key layout in Redis") but under secret.
func poison(t *testing.T, doc []byte, storeKey string, secret, jwks []byte) []byte {
	t.Helper()
	parts := strings.SplitN(string(doc), ".", 4) // jwtguard, v2, MAC, body
	if len(parts) != 4 || parts[0]+"."+parts[1] != "jwtguard.v2" {
		t.Fatalf("stored document %q… is not a jwtguard.v2 document", doc[:min(len(doc), 20)])
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(parts[3]), &env); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	env["jwks"] = json.RawMessage(jwks)
	env["fetched_at"] = now.UnixMilli()
	env["expires_at"] = now.Add(30 * time.Minute).UnixMilli()
	body, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("jwtguard stored document v2\x00" + storeKey + "\x00"))
	m.Write(body)
	return fmt.Appendf(nil, "jwtguard.v2.%s.%s", base64.RawURLEncoding.EncodeToString(m.Sum(nil)), body)
}

// tokenHeader returns the decoded header of a compact JWS.
func tokenHeader(t *testing.T, tok string) string {
	h, err := base64.RawURLEncoding.DecodeString(strings.SplitN(tok, ".", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// TestExampleRedisConfig: the commented redis keystore of example.yaml
// (the one in docs/authorizer.md), uncommented, is accepted.
func TestExampleRedisConfig(t *testing.T) {
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secretFile, _ := randomSecret(t)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "  type: memory"):
			continue
		case strings.HasPrefix(line, "  # "):
			line = "  " + strings.TrimPrefix(line, "  # ")
		}
		line = strings.ReplaceAll(line, "/run/secrets/jwtguard-store", secretFile)
		line = strings.ReplaceAll(line, "/run/secrets/redis", secretFile)
		out = append(out, line)
	}
	cfg, err := config.Parse("example-redis.yaml", []byte(strings.Join(out, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.Keystore; k.Type != "redis" || len(k.Secrets()) != 1 || k.RedisOptions().TLSConfig == nil {
		t.Errorf("keystore %+v", k)
	}
}

// slowProxy forwards TCP connections to addr, holding each reply from addr
// for delay: a Redis that answers, slowly. It stops when t ends.
func slowProxy(t *testing.T, addr string, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			track(c)
			track(up)
			wg.Go(func() { _, _ = io.Copy(up, c); up.Close() })
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := up.Read(buf)
					if n > 0 {
						time.Sleep(delay)
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestServeSlowRedis: a Redis slower than the Validator's default store
// bound (500ms), but within the configured timeout, still serves the
// shared keys: timeout bounds the Validator's store calls too.
func TestServeSlowRedis(t *testing.T) {
	addr := redistest.Server(t)
	slow := slowProxy(t, addr, 700*time.Millisecond)
	idp := authztest.NewT(t)
	secretFile, _ := randomSecret(t)
	yaml := func(addr string) string {
		return fmt.Sprintf(`decision_timeout: 10s
keystore:
  type: redis
  redis:
    url: redis://%s/0
    timeout: 3s
  secret_files: [%s]
issuers:
  - issuer: %s
    audiences: [api]
rules:
  - paths: [/api/*]
    scopes: [read]
`, addr, secretFile, idp.URL())
	}
	c := idp.Claims("alice", "api")
	c["scope"] = "read"
	good := idp.MustMint(t, c)
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()

	r1 := startReplica(t, yaml(addr))
	if s := r1.status(good); s != 200 {
		t.Fatalf("replica 1: %d; logs:\n%s", s, r1.logs)
	}
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		keys, err := rdb.Keys(context.Background(), "jwtguard:doc:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("replica 1 stored no document; logs:\n%s", r1.logs)
		}
	}

	jwks := idp.JWKSRequests()
	r2 := startReplica(t, yaml(slow))
	if s := r2.status(good); s != 200 {
		t.Fatalf("replica 2 (Redis answering in 700ms): %d; logs:\n%s", s, r2.logs)
	}
	if n := idp.JWKSRequests() - jwks; n != 0 {
		t.Errorf("replica 2 made %d JWKS requests to the IdP, want 0: a Redis answering in 700ms with timeout: 3s must serve the keys; logs:\n%s", n, r2.logs)
	}
}

// passwordServer starts a redis-server of t's own that requires password,
// and returns its address. It skips t without redis-server.
func passwordServer(t *testing.T, password string) string {
	t.Helper()
	bin := redistest.Path(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	var out syncBuffer
	cmd := redistest.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--requirepass", password)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	addr := "127.0.0.1:" + port
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, Password: password, MaxRetries: -1})
	defer rdb.Close()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return addr
		}
		if time.Now().After(end) {
			t.Fatalf("redis-server with a password does not answer: %v\n%s", err, out.String())
		}
	}
}

// TestServeWrongRedisPassword: a wrong Redis password does not go unseen
// (jwtguard_store_errors_total, a warning naming WRONGPASS), and the
// decisions stay right, with the keys from the IdP.
func TestServeWrongRedisPassword(t *testing.T) {
	_, right := randomSecret(t)
	addr := passwordServer(t, string(right))
	wrongFile, wrong := randomSecret(t)
	secretFile, _ := randomSecret(t)
	idp := authztest.NewT(t)
	r := startReplica(t, fmt.Sprintf(`keystore:
  type: redis
  redis:
    url: redis://%s/0
    password_file: %s
  secret_files: [%s]
issuers:
  - issuer: %s
    audiences: [api]
rules:
  - paths: [/api/*]
    scopes: [read]
`, addr, wrongFile, secretFile, idp.URL()))
	c := idp.Claims("alice", "api")
	c["scope"] = "read"
	if s := r.status(idp.MustMint(t, c)); s != 200 {
		t.Errorf("a good token: %d; logs:\n%s", s, r.logs)
	}
	evil := authztest.NewT(t)
	ec := evil.Claims("alice", "api")
	ec["iss"], ec["scope"] = idp.URL(), "read"
	if s := r.status(evil.MustMint(t, ec)); s != 401 {
		t.Errorf("a forged token: %d", s)
	}
	if idp.JWKSRequests() == 0 {
		t.Error("no JWKS request to the IdP")
	}
	m := r.get("/metrics")
	n := -1
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, `jwtguard_store_errors_total{op="command"} `); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	if n <= 0 {
		t.Errorf("jwtguard_store_errors_total{op=\"command\"} is %d, want > 0:\n%s", n, m)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"level":"WARN","msg":"redis key store failing`) || !strings.Contains(logs, `"kind":"WRONGPASS"`) {
		t.Errorf("no warning naming WRONGPASS; logs:\n%s", logs)
	}
	if strings.Count(logs, `"msg":"redis key store failing`) != 1 {
		t.Errorf("the failure is logged more than once; logs:\n%s", logs)
	}
	for what, s := range map[string][]byte{"the configured password": wrong, "the real password": right} {
		if strings.Contains(logs+m, string(s)) {
			t.Errorf("a log line or /metrics holds %s", what)
		}
	}
}
