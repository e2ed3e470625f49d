package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/keystoretest"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// redisServer returns the path of redis-server for the tests that start
// servers of their own (Cluster, Sentinel), or skips t: in -short mode, or
// when redis-server is not installed (the message names it).
func redisServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the tests that start a Redis Cluster and a Sentinel")
	}
	return redistest.Path(t)
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// lockedBuffer collects a process's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServer runs redis-server with args until t ends, and waits until it
// answers PING on port.
func startServer(t *testing.T, bin string, port int, args ...string) {
	t.Helper()
	out := &lockedBuffer{}
	cmd := redistest.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("redis-server on port %d said:\n%s", port, out.String())
		}
	})
	c := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
	defer c.Close()
	waitFor(t, 10*time.Second, fmt.Sprintf("redis-server on port %d to answer PING", port), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	})
}

// waitFor polls cond until it holds, or fails t after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startCluster starts a Redis Cluster of n masters and no replicas on free
// loopback ports, and returns their addresses once the cluster is ok.
func startCluster(t *testing.T, bin string, n int) []string {
	t.Helper()
	ports := freePorts(t, 2*n) // a client port and a cluster bus port each
	addrs := make([]string, n)
	nodes := make([]*goredis.Client, n)
	for i := range n {
		port, bus := ports[2*i], ports[2*i+1]
		dir := t.TempDir()
		startServer(t, bin, port,
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--cluster-enabled", "yes",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "1000",
			"--dir", dir,
			"--save", "",
			"--appendonly", "no",
		)
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
		nodes[i] = goredis.NewClient(&goredis.Options{Addr: addrs[i]})
		t.Cleanup(func() { _ = nodes[i].Close() })
	}

	ctx := context.Background()
	const slots = 16384
	for i, c := range nodes {
		first, last := i*slots/n, (i+1)*slots/n-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", first, last).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE %d %d on %s: %v", first, last, addrs[i], err)
		}
	}
	for i := 1; i < n; i++ {
		if err := nodes[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", ports[2*i], ports[2*i+1]).Err(); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", addrs[i], err)
		}
	}
	waitFor(t, 20*time.Second, "cluster_state:ok and all nodes known on every node", func() bool {
		for _, c := range nodes {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				return false
			}
			shards, err := c.ClusterSlots(ctx).Result()
			if err != nil || len(shards) != n {
				return false
			}
		}
		return true
	})
	return addrs
}

func TestConformanceCluster(t *testing.T) {
	bin := redisServer(t)
	start := time.Now()
	addrs := startCluster(t, bin, 3)
	t.Logf("3-node cluster ready in %v", time.Since(start).Round(time.Millisecond))

	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })

	keystoretest.Run(t, func(t *testing.T) keystore.Store {
		return newStore(t, client, redisstore.WithPrefix(testPrefix(t, client)))
	})

	// Documents spread over the nodes, and a lock's script runs on whichever
	// node owns its key.
	t.Run("SpreadOverNodes", func(t *testing.T) {
		ctx := context.Background()
		s := newStore(t, client, redisstore.WithPrefix(testPrefix(t, client)))
		for i := range 30 {
			k := fmt.Sprint("issuer-", i)
			if err := s.Put(ctx, k, []byte(k), time.Minute); err != nil {
				t.Fatal(err)
			}
			unlock, ok, err := s.TryLock(ctx, k, time.Minute)
			if err != nil || !ok {
				t.Fatalf("TryLock(%q) = %v, %v", k, ok, err)
			}
			if err := unlock(ctx); err != nil {
				t.Fatalf("unlock(%q) = %v", k, err)
			}
		}
		var used atomic.Int32 // ForEachMaster calls fn in parallel
		err := client.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			n, err := c.DBSize(ctx).Result()
			if n > 0 {
				used.Add(1)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if used := used.Load(); used < 2 {
			t.Errorf("documents landed on %d of 3 nodes; the test does not exercise the cluster", used)
		}
	})

	// An announcement published on any node reaches a subscriber connected
	// to whichever node owns the channel's slot.
	t.Run("PublishOnEveryNode", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		prefix := testPrefix(t, client)
		s := newStore(t, client, redisstore.WithPrefix(prefix))
		got := make(chan string, 16)
		if err := s.Subscribe(ctx, func(k string) { got <- k }); err != nil {
			t.Fatal(err)
		}
		for _, addr := range addrs {
			node := newClient(t, addr, true)
			// A Store on a plain client of one node publishes there.
			if err := newStore(t, node, redisstore.WithPrefix(prefix)).Publish(ctx, addr); err != nil {
				t.Fatalf("Publish via %s: %v", addr, err)
			}
			select {
			case k := <-got:
				if k != addr {
					t.Errorf("got %q, want %q", k, addr)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("announcement published on %s not delivered", addr)
			}
		}
	})
}

// TestConformanceSentinel runs the suite through a Sentinel failover client,
// against one redis-server and one Sentinel started for the test.
func TestConformanceSentinel(t *testing.T) {
	bin := redisServer(t)
	ports := freePorts(t, 2)
	master, sentinel := ports[0], ports[1]
	dir := t.TempDir()
	startServer(t, bin, master,
		"--port", strconv.Itoa(master), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no")

	conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites its config file
	err := os.WriteFile(conf, fmt.Appendf(nil, `port %d
bind 127.0.0.1
dir %s
sentinel monitor jwtguard 127.0.0.1 %d 1
sentinel down-after-milliseconds jwtguard 5000
`, sentinel, dir, master), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, bin, sentinel, conf, "--sentinel")

	client := goredis.NewFailoverClient(&goredis.FailoverOptions{
		MasterName:            "jwtguard",
		SentinelAddrs:         []string{fmt.Sprintf("127.0.0.1:%d", sentinel)},
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = client.Close() })
	waitFor(t, 10*time.Second, "the failover client to reach the master", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return client.Ping(ctx).Err() == nil
	})

	keystoretest.Run(t, func(t *testing.T) keystore.Store {
		return newStore(t, client, redisstore.WithPrefix(testPrefix(t, client)))
	})
}
