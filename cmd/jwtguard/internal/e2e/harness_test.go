package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/forwardauth"
)

const aud = "https://api.example.com"

// identityHeaders are the headers the authorizer sets and the proxies copy.
var identityHeaders = []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Scopes", "X-Auth-Request-Tenant"}

// upstream is the service behind the proxy: it answers with the
// X-Auth-Request-* headers it received, as JSON, and counts its requests.
type upstream struct {
	addr string
	hits atomic.Int64
}

func startUpstream(t testing.TB) *upstream {
	t.Helper()
	u := &upstream{}
	ln := listen(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		got := map[string][]string{}
		for k, v := range r.Header {
			if strings.HasPrefix(k, "X-Auth-Request-") {
				got[k] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(got)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	u.addr = ln.Addr().String()
	return u
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// freePort returns a loopback port that was free a moment ago, for a
// child process to bind.
func freePort(t testing.TB) int {
	ln := listen(t)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// authorizerConfig has two issuers: the good one, and one whose keys can
// never be had (its IdP is down from the start, so nothing is cached).
func authorizerConfig(good, down string, tokenCache bool) string {
	return fmt.Sprintf(`
realm: api
retry_after: 7s
decision_timeout: 2s
token_cache: %v
log_level: warn
issuers:
  - issuer: %s
    audiences: [%s]
  - issuer: %s
    audiences: [%s]
rules:
  - name: public
    paths: [/public/*]
    anonymous: true
  - name: read
    methods: [GET, HEAD]
    paths: [/api/*, /nocache/api/*]
    scopes: [read:messages]
`, tokenCache, good, aud, down, aud)
}

// env is one authorizer with its issuers and upstream.
type env struct {
	idp, down *authztest.Issuer
	authzAddr string
	up        *upstream
}

func startEnv(t testing.TB, tokenCache bool) *env {
	t.Helper()
	e := &env{idp: authztest.NewT(t), down: authztest.NewT(t), up: startUpstream(t)}
	e.down.SetFailure(authztest.Fail5xx)
	e.authzAddr = e.startAuthorizer(t, tokenCache)
	return e
}

// startAuthorizer starts an authorizer for e's issuers on a loopback port
// and returns its address.
func (e *env) startAuthorizer(t testing.TB, tokenCache bool) string {
	t.Helper()
	cfg, err := config.Parse("e2e.yaml", []byte(authorizerConfig(e.idp.URL(), e.down.URL(), tokenCache)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := forwardauth.New(cfg, forwardauth.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), forwardauth.WithWarmWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ln := listen(t)
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// token mints a token of the good issuer with the given scope.
func (e *env) token(t testing.TB, scope string) string {
	c := e.idp.Claims("alice", aud)
	c["scope"] = scope
	c["email"] = "alice@example.com"
	c["tenant"] = "acme"
	return e.idp.MustMint(t, c)
}

// need skips the test when the binary is not installed.
func need(t testing.TB, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s): skipping the end-to-end test behind %s", bin, bin, bin)
	}
	return p
}

// startProcess runs cmd until the test ends and waits until addr accepts
// connections (10 s at most).
func startProcess(t testing.TB, cmd *exec.Cmd, addr string, logPath string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited: %v\n%s\n%s", cmd.Path, waitErr, out.String(), logs)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s within 10 s:\n%s", cmd.Path, addr, out.String())
}

func render(t testing.TB, path, tmpl string, data any) {
	t.Helper()
	var b bytes.Buffer
	if err := template.Must(template.New("").Parse(tmpl)).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nginxConf follows docs/authorizer.md: the auth subrequest sets the
// X-Original-* set; the identity headers replace whatever the client sent
// (an empty value drops the header); the challenge of a 403 is added by
// a map on $status, since nginx passes only a 401's by itself.
const nginxConf = `
{{if .Root}}user root;{{end}}
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path {{.Dir}}/body;
    proxy_temp_path {{.Dir}}/proxy;
    fastcgi_temp_path {{.Dir}}/fastcgi;
    uwsgi_temp_path {{.Dir}}/uwsgi;
    scgi_temp_path {{.Dir}}/scgi;

    upstream jwtguard { server {{.Authz}}; keepalive 64; }
    upstream app { server {{.Upstream}}; keepalive 64; }
{{range .Extra}}    upstream {{.Name}} { server {{.Addr}}; keepalive 64; }
{{end}}
    map $status $auth_challenge_403 {
        403     $auth_www;
        default "";
    }

    server {
        listen {{.Listen}};

        location = /_jwtguard {
            internal;
            proxy_pass http://jwtguard/auth/nginx;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        }
{{range .Extra}}
        location = /_{{.Name}} {
            internal;
            proxy_pass http://{{.Name}}/auth/nginx;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        }
        location /{{.Name}}/ {
            auth_request /_{{.Name}};
            auth_request_set $auth_user $upstream_http_x_auth_request_user;
            proxy_set_header X-Auth-Request-User $auth_user;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            rewrite ^/{{.Name}}(/.*)$ $1 break;
            proxy_pass http://app;
        }
{{end}}
        location /direct/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }

        location / {
            auth_request /_jwtguard;
            auth_request_set $auth_www $upstream_http_www_authenticate;
            auth_request_set $auth_user $upstream_http_x_auth_request_user;
            auth_request_set $auth_email $upstream_http_x_auth_request_email;
            auth_request_set $auth_scopes $upstream_http_x_auth_request_scopes;
            auth_request_set $auth_tenant $upstream_http_x_auth_request_tenant;
            add_header WWW-Authenticate $auth_challenge_403 always;

            proxy_set_header X-Auth-Request-User $auth_user;
            proxy_set_header X-Auth-Request-Email $auth_email;
            proxy_set_header X-Auth-Request-Scopes $auth_scopes;
            proxy_set_header X-Auth-Request-Tenant $auth_tenant;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
    }
}
`

type extraAuthz struct{ Name, Addr string }

// startNginx runs nginx in front of e's upstream, asking e's authorizer
// (and, under /<name>/, each extra authorizer), and returns its base URL.
func startNginx(t testing.TB, e *env, extra ...extraAuthz) string {
	t.Helper()
	bin := need(t, "nginx")
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		os.Chmod(dir, 0o755)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	conf := filepath.Join(dir, "nginx.conf")
	render(t, conf, nginxConf, map[string]any{
		"Root": os.Geteuid() == 0, "Dir": dir, "Authz": e.authzAddr, "Upstream": e.up.addr, "Listen": addr, "Extra": extra,
	})
	cmd := exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-c", conf, "-p", dir, "-g", "daemon off;")
	startProcess(t, cmd, addr, filepath.Join(dir, "error.log"))
	return "http://" + addr
}

// caddyfile follows docs/authorizer.md: the client's X-Auth-Request-*
// are deleted first, inside route so that it runs before forward_auth.
const caddyfile = `{
	admin off
	auto_https off
}

http://{{.Listen}} {
	bind 127.0.0.1
	route {
		request_header -X-Auth-Request-*
		forward_auth {{.Authz}} {
			uri /auth/forward
			copy_headers X-Auth-Request-User X-Auth-Request-Email X-Auth-Request-Scopes X-Auth-Request-Tenant
		}
		reverse_proxy {{.Upstream}}
	}
}
`

func startCaddy(t testing.TB, e *env) string {
	t.Helper()
	bin := need(t, "caddy")
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	conf := filepath.Join(dir, "Caddyfile")
	render(t, conf, caddyfile, map[string]any{"Authz": e.authzAddr, "Upstream": e.up.addr, "Listen": addr})
	cmd := exec.CommandContext(context.Background(), bin, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	startProcess(t, cmd, addr, "")
	return "http://" + addr
}
