package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvAddr names the environment variable that points the tests at a Redis
// they share with others (and do not own): REDIS_ADDR=127.0.0.1:6379.
const EnvAddr = "REDIS_ADDR"

// Binary is the program the helpers start when EnvAddr is unset.
const Binary = "redis-server"

// The throwaway server of this test binary, started by the first Addr
// without EnvAddr and stopped by Main.
var throwaway struct {
	once sync.Once
	addr string
	proc *process
	out  bytes.Buffer
	err  error
}

// process is a running redis-server; stop kills it and waits until it has
// exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *process) stop() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Addr returns the address of a real Redis for t:
//
//   - $REDIS_ADDR, when set, which must answer PING (t fails otherwise);
//   - else a throwaway redis-server on a free loopback port, without
//     persistence, started once per test binary and stopped by Main;
//   - else, when redis-server is not installed, it skips t with a message
//     that names the missing server.
//
// Tests on a Redis they share keep their keys under a prefix of their own
// and remove them when they end.
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv(EnvAddr); addr != "" {
		if err := Ping(addr, 2*time.Second); err != nil {
			t.Fatalf("%s=%s does not answer PING: %v", EnvAddr, addr, err)
		}
		return addr
	}
	bin := Path(t)
	throwaway.once.Do(func() {
		throwaway.addr, throwaway.proc, throwaway.err = start(bin, "", &throwaway.out)
		if throwaway.err == nil {
			t.Logf("%s is unset: started a throwaway %s on %s for this test binary", EnvAddr, Binary, throwaway.addr)
		}
	})
	if throwaway.err != nil {
		t.Fatalf("starting a throwaway %s: %v\n%s", Binary, throwaway.err, throwaway.out.String())
	}
	return throwaway.addr
}

// Path returns the path of redis-server, for tests that start servers of
// their own (to stop or pause them, or to build a Cluster), or skips t
// with a message that names the missing server.
func Path(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		t.Skipf("%s is not installed (not on PATH) and %s is unset: install it (apt-get install redis-server) to run this test", Binary, EnvAddr)
	}
	return bin
}

// Main runs the tests of m, stops the throwaway server, if one was
// started, and exits. Packages whose tests call Addr call it from
// TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if p := throwaway.proc; p != nil {
		p.stop()
	}
	os.Exit(code)
}

// Server starts a redis-server of t's own on a free loopback port, without
// persistence, and returns its address; it kills the server when t ends.
// It skips t when redis-server is missing.
func Server(t testing.TB) (addr string) {
	t.Helper()
	bin := Path(t)
	var out bytes.Buffer
	addr, p, err := start(bin, "", &out)
	if err != nil {
		t.Fatalf("starting %s: %v\n%s", Binary, err, out.String())
	}
	t.Cleanup(p.stop)
	return addr
}

// start runs bin on port (a free one when ""), bound to 127.0.0.1, and
// waits until it answers PING.
func start(bin, port string, out *bytes.Buffer) (string, *process, error) {
	if port == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		_ = ln.Close()
	}
	dir, err := os.MkdirTemp("", "redistest")
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + port
	cmd := Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = os.RemoveAll(dir); close(p.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := Ping(addr, time.Second)
		if err == nil {
			return addr, p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return "", nil, fmt.Errorf("%s on %s does not answer PING: %v", Binary, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Ping sends PING to the Redis at addr and waits up to timeout for PONG.
func Ping(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Command is exec.Command for a redis-server that a test starts itself:
// on Linux the server is killed when the test binary dies, so a test
// killed by a timeout or a signal leaves no server behind.
func Command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	setParentDeath(cmd)
	return cmd
}
