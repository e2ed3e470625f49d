package fleettest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

const (
	// audience of every test token.
	audience = "api"
	// callTimeout is the ctx deadline of every request in these tests.
	callTimeout = 4 * time.Second
	// hangBound is the longest a request may take: past it, something
	// ignored the request's ctx or a store timeout. It is a bound that
	// reveals a hang, not a claim about speed.
	hangBound = 5 * time.Second
	// waitBound bounds every wait for an eventual condition.
	waitBound = 10 * time.Second
)

// fleetSecret authenticates the documents the replicas share.
var fleetSecret = []byte("fleettest secret: 32 bytes or more, one per environment")

// fleetKeys are the key options of the replicas. The unknown-kid cooldown is
// long, so that whole tests run within one cooldown. The store timeout is
// generous: a burst of a thousand requests under the race detector on a
// small machine can hold a store call up for a few hundred milliseconds,
// and a store call that times out sends the replica to the IdP on its own,
// which is right in production but not what these tests count.
var fleetKeys = authz.KeyOptions{
	FetchTimeout:       3 * time.Second,
	StoreTimeout:       2 * time.Second,
	LockWait:           3 * time.Second,
	RetryMin:           20 * time.Millisecond,
	RetryMax:           200 * time.Millisecond,
	UnknownKeyCooldown: time.Minute,
}

// faultKeys are fleetKeys with short store calls, for the tests that stop
// or freeze Redis, and a short unknown-kid cooldown, since those tests
// rotate keys twice.
var faultKeys = func() authz.KeyOptions {
	k := fleetKeys
	k.StoreTimeout = 200 * time.Millisecond
	k.UnknownKeyCooldown = 300 * time.Millisecond
	return k
}()

// storeBackoff is how long a replica leaves a failed store alone with
// faultKeys: four store timeouts, within [RetryMin, RetryMax].
var storeBackoff = min(max(4*faultKeys.StoreTimeout, faultKeys.RetryMin), faultKeys.RetryMax)

// backend is a Redis that a fleet shares.
type backend struct {
	addr string
	// shared is set for a Redis the tests do not own (REDIS_ADDR): its
	// keys are removed after each test, and it is never stopped.
	shared bool
	// stop takes the server down; start brings it back on the same
	// address. pause freezes it (it keeps its connections and answers
	// nothing); resume thaws it. Each is nil when the backend cannot.
	stop, start, pause, resume func(t *testing.T)
}

// backendKind makes a fresh backend for one test, or skips it.
type backendKind struct {
	name string
	make func(t *testing.T) *backend
}

var (
	miniredisKind = backendKind{"miniredis", func(t *testing.T) *backend { return newMiniredisBackend(t) }}
	// sharedRedisKind is a real Redis shared by the tests: $REDIS_ADDR, or
	// the throwaway redis-server of redistest.Addr.
	sharedRedisKind = backendKind{"redis", func(t *testing.T) *backend {
		return &backend{addr: realRedisAddr(t), shared: true}
	}}
	// ownRedisKind is a redis-server process of the test's own, which it
	// may kill and pause. It runs when redis-server is installed.
	ownRedisKind = backendKind{"redis-server", newServerBackend}
)

// sharingBackends are the Redis kinds for tests that need a working Redis.
var sharingBackends = []backendKind{miniredisKind, sharedRedisKind}

// faultBackends are the Redis kinds for tests that stop Redis.
var faultBackends = []backendKind{miniredisKind, ownRedisKind}

// realRedisAddr returns the address of a real Redis: $REDIS_ADDR, or a
// throwaway redis-server (redistest.Addr), or skips t naming the missing
// server.
func realRedisAddr(t testing.TB) string { return redistest.Addr(t) }

// newMiniredisBackend starts a miniredis whose clock follows real time
// (miniredis moves its clock only when told to, so without this no TTL
// would pass), which stop closes and start restarts on the same port with
// its data.
func newMiniredisBackend(t testing.TB) *backend {
	m := miniredis.RunT(t)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				now := time.Now()
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return &backend{
		addr: m.Addr(),
		stop: func(*testing.T) { m.Close() },
		start: func(t *testing.T) {
			if err := m.Restart(); err != nil {
				t.Fatalf("restarting miniredis: %v", err)
			}
		},
	}
}

// newServerBackend runs redis-server on a free loopback port, without
// persistence: stop kills it (its data is lost) and start runs a new one on
// the same port.
func newServerBackend(t *testing.T) *backend {
	bin := redistest.Path(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	var (
		mu  sync.Mutex
		cmd *exec.Cmd
		out bytes.Buffer
	)
	start := func(t *testing.T) {
		mu.Lock()
		defer mu.Unlock()
		cmd = redistest.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir())
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		waitFor(t, "redis-server to answer PING", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return c.Ping(ctx).Err() == nil
		})
	}
	stop := func(*testing.T) {
		mu.Lock()
		defer mu.Unlock()
		if cmd != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			cmd = nil
		}
	}
	signal := func(sig syscall.Signal) func(t *testing.T) {
		return func(t *testing.T) {
			mu.Lock()
			defer mu.Unlock()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatalf("signalling redis-server: %v", err)
			}
		}
	}
	start(t)
	t.Cleanup(func() {
		mu.Lock()
		if cmd != nil {
			_ = cmd.Process.Signal(syscall.SIGCONT)
		}
		mu.Unlock()
		stop(t)
		if t.Failed() {
			t.Logf("redis-server on %s said:\n%s", addr, out.String())
		}
	})
	return &backend{addr: addr, stop: stop, start: start, pause: signal(syscall.SIGSTOP), resume: signal(syscall.SIGCONT)}
}

// silentServer is a Redis that never answers (redistest.SilentServer).
func silentServer(t *testing.T) string { return redistest.SilentServer(t) }

// newClient returns a go-redis client for addr, as a replica would build
// one, closed when t ends.
func newClient(t testing.TB, addr string) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fleet is a set of replicas sharing one Redis (under one key prefix) and
// one issuer.
type fleet struct {
	b      *backend
	iss    *authztest.Issuer
	prefix string
	keys   authz.KeyOptions
	admin  *goredis.Client // for looking into Redis
}

// replica is one Validator with a Redis client and Store of its own, as in
// a process of its own.
type replica struct {
	*authz.Validator
	client *goredis.Client
	store  *redisstore.Store
}

func newFleet(t *testing.T, b *backend, iss *authztest.Issuer, keys authz.KeyOptions) *fleet {
	t.Helper()
	f := &fleet{b: b, iss: iss, prefix: "jwtguard-fleettest:" + rand.Text()[:10] + ":", keys: keys}
	f.admin = newClient(t, b.addr)
	if b.shared {
		t.Cleanup(func() { deletePrefix(t, f.admin, f.prefix) })
	}
	return f
}

// deletePrefix removes every key under prefix.
func deletePrefix(t *testing.T, c *goredis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := c.Del(ctx, iter.Val()).Err(); err != nil {
			t.Errorf("cleaning up %q: %v", iter.Val(), err)
			return
		}
	}
	if err := iter.Err(); err != nil {
		t.Errorf("cleaning up keys under %q: %v", prefix, err)
	}
}

// add starts one replica, closed when t ends. Unless opts say otherwise it
// runs its background refresh and subscription.
func (f *fleet) add(t *testing.T, opts ...authz.Option) *replica {
	t.Helper()
	client := newClient(t, f.b.addr)
	s, err := redisstore.New(client, redisstore.WithPrefix(f.prefix), redisstore.WithTimeout(f.keys.StoreTimeout))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]authz.Option{authz.WithStore(s), authz.WithStoreSecret(fleetSecret), authz.WithKeyOptions(f.keys)}, opts...)
	v, err := authz.New([]authz.Issuer{f.iss.OIDC(audience)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() }) // before the client closes
	return &replica{Validator: v, client: client, store: s}
}

// addN starts n replicas.
func (f *fleet) addN(t *testing.T, n int, opts ...authz.Option) []*replica {
	t.Helper()
	rs := make([]*replica, n)
	for i := range rs {
		rs[i] = f.add(t, opts...)
	}
	return rs
}

// docKey, cooldownKey and channel are where the fleet's shared state lives
// in Redis (see docs/keystores.md).
func (f *fleet) docKey() string       { return f.prefix + "doc:jwks:" + f.iss.URL() }
func (f *fleet) fetchLockKey() string { return f.prefix + "lock:fetch:" + f.iss.URL() }
func (f *fleet) cooldownKey() string  { return f.prefix + "lock:cooldown:" + f.iss.URL() }
func (f *fleet) channel() string      { return f.prefix + "changed" }

// waitSubscribed waits until at least n replicas listen for announcements.
func (f *fleet) waitSubscribed(t *testing.T, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d subscribers on %s", n, f.channel()), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m, err := f.admin.PubSubNumSub(ctx, f.channel()).Result()
		return err == nil && m[f.channel()] >= int64(n)
	})
}

// warmAll warms every replica at once, as a fleet starting together.
func warmAll(t *testing.T, rs []*replica) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(rs))
	for i, r := range rs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			errs[i] = r.Warm(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Warm = %v", i, err)
		}
	}
}

// validate runs one request with callTimeout and reports how long it took.
func validate(v *authz.Validator, token string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	start := time.Now()
	_, err := v.Validate(ctx, token)
	return time.Since(start), err
}

// mustValidate fails t unless token passes on v within hangBound.
func mustValidate(t *testing.T, v *authz.Validator, token, what string) {
	t.Helper()
	took, err := validate(v, token)
	if err != nil {
		t.Fatalf("%s: Validate = %v", what, err)
	}
	if took > hangBound {
		t.Fatalf("%s: Validate took %v, more than %v", what, took, hangBound)
	}
}

// withKid returns token with its header's kid replaced. The signature no
// longer matches, but a kid is looked up before the signature is checked,
// so this is a cheap way to make tokens that carry unknown kids.
func withKid(t testing.TB, token, kid string) string {
	t.Helper()
	h64, rest, _ := strings.Cut(token, ".")
	hb, err := base64.RawURLEncoding.DecodeString(h64)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(hb, &h); err != nil {
		t.Fatal(err)
	}
	h["kid"] = kid
	hb, err = json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(hb) + "." + rest
}

// status returns a replica's one issuer's key state.
func status(v *authz.Validator) authz.IssuerStatus { return v.Status()[0] }

// waitFor polls cond until it holds, or fails t after waitBound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitBound, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// load sends requests with one token to a set of replicas from several
// goroutines until stopped, and records failures and the longest call.
type load struct {
	n, failed atomic.Int64
	longest   atomic.Int64 // ns
	firstErr  atomic.Pointer[error]
	stopping  chan struct{}
	once      sync.Once
	wg        sync.WaitGroup
}

// Each goroutine pauses a millisecond between requests, so that the load
// leaves the machine room for the rest of the test (under the race detector
// a tight loop on every core would starve Redis calls into timeouts). It
// ends when t ends, if not stopped before.
func startLoad(t *testing.T, rs []*replica, token string, perReplica int) *load {
	l := &load{stopping: make(chan struct{})}
	t.Cleanup(l.halt)
	for _, r := range rs {
		for range perReplica {
			l.wg.Go(func() {
				for {
					select {
					case <-l.stopping:
						return
					default:
					}
					time.Sleep(time.Millisecond)
					took, err := validate(r.Validator, token)
					l.n.Add(1)
					if err != nil {
						l.failed.Add(1)
						l.firstErr.CompareAndSwap(nil, &err)
					}
					for {
						old := l.longest.Load()
						if int64(took) <= old || l.longest.CompareAndSwap(old, int64(took)) {
							break
						}
					}
				}
			})
		}
	}
	return l
}

// waitRequests waits until the load has sent n more requests than now.
func (l *load) waitRequests(t *testing.T, n int64) {
	t.Helper()
	target := l.n.Load() + n
	waitFor(t, fmt.Sprintf("%d more requests", n), func() bool { return l.n.Load() >= target })
}

// halt ends the load.
func (l *load) halt() {
	l.once.Do(func() { close(l.stopping) })
	l.wg.Wait()
}

// stop ends the load and fails t if any request failed or hung.
func (l *load) stop(t *testing.T, what string) {
	t.Helper()
	l.halt()
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%s: %d of %d requests with a cached key failed; first: %v", what, n, l.n.Load(), *l.firstErr.Load())
	}
	if d := time.Duration(l.longest.Load()); d > hangBound {
		t.Errorf("%s: a request took %v, more than %v", what, d, hangBound)
	}
	t.Logf("%s: %d requests, none failed, longest %v", what, l.n.Load(), time.Duration(l.longest.Load()).Round(time.Microsecond))
}

// quietLogger drops go-redis's log lines: the fault tests make it log every
// failed dial. Set JWTGUARD_REDIS_LOG=1 to see them.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	if os.Getenv("JWTGUARD_REDIS_LOG") != "1" {
		goredis.SetLogger(quietLogger{})
	}
	redistest.Main(m)
}
