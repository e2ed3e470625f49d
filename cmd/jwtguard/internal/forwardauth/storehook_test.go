package forwardauth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// TestStoreHook: failed dials and commands are counted, a miss is not; the
// first failure after a success is logged once (warn), the recovery too
// (info), and a flapping Redis warns at most once per interval.
func TestStoreHook(t *testing.T) {
	var logs bytes.Buffer
	m := newMetrics()
	h := newStoreHook(m, slog.New(slog.NewTextHandler(&logs, nil)), "127.0.0.1:6379")
	ctx := context.Background()
	var cmdErr error
	cmd := h.ProcessHook(func(context.Context, goredis.Cmder) error { return cmdErr })
	pipe := h.ProcessPipelineHook(func(context.Context, []goredis.Cmder) error { return nil })
	dial := h.DialHook(func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	})
	run := func(err error) {
		t.Helper()
		cmdErr = err
		if got := cmd(ctx, goredis.NewStatusCmd(ctx, "get", "k")); got != err {
			t.Fatalf("the hook changed the error: %v", got)
		}
	}
	count := func(op string) uint64 {
		for i, o := range storeOps {
			if o == op {
				return m.storeErrs[i].Load()
			}
		}
		t.Fatalf("no op %s", op)
		return 0
	}

	run(nil)
	run(goredis.Nil)
	if count("command") != 0 || logs.Len() != 0 {
		t.Fatalf("a success and a miss: %d errors, logs %q", count("command"), logs.String())
	}
	run(goredis.Nil) // never an error, whatever came before
	run(errors.New("WRONGPASS invalid username-password pair or user is disabled."))
	run(errors.New("NOAUTH Authentication required."))
	if _, err := dial(ctx, "tcp", "127.0.0.1:6379"); err == nil {
		t.Fatal("dial: no error")
	}
	if count("command") != 2 || count("dial") != 1 {
		t.Errorf("errors: command %d (want 2), dial %d (want 1)", count("command"), count("dial"))
	}
	if n := strings.Count(logs.String(), "redis key store failing"); n != 1 {
		t.Errorf("%d warnings for one failing period, want 1:\n%s", n, logs.String())
	}
	run(goredis.Nil) // an answer: Redis works again
	if !strings.Contains(logs.String(), "level=INFO msg=\"redis key store works again\"") {
		t.Errorf("no recovery logged:\n%s", logs.String())
	}
	// A pipeline's failed command counts.
	failed := goredis.NewStatusCmd(ctx, "set", "k", "v")
	failed.SetErr(errors.New("NOPERM this user has no permissions"))
	pipe(ctx, []goredis.Cmder{goredis.NewStatusCmd(ctx, "get", "k"), failed})
	if count("command") != 3 {
		t.Errorf("a pipeline with a failed command: %d command errors, want 3", count("command"))
	}
	// Flapping within the interval: no second warning, no second info.
	run(nil)
	logs.Reset()
	run(context.DeadlineExceeded)
	run(nil)
	if logs.Len() != 0 {
		t.Errorf("a second failure within the interval is logged:\n%s", logs.String())
	}
	// A caller that went away, or a closed client, is no failure.
	run(context.Canceled)
	run(goredis.ErrClosed)
	if count("command") != 4 {
		t.Errorf("%d command errors, want 4", count("command"))
	}
	// After the interval, a failure warns again, naming its kind only.
	h.lastWarn = time.Now().Add(-storeWarnInterval)
	run(context.DeadlineExceeded)
	if !strings.Contains(logs.String(), "kind=timeout") {
		t.Errorf("no warning after the interval:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "deadline") {
		t.Errorf("the warning holds the error's text:\n%s", logs.String())
	}
}

// TestFailureKind names failures by kind, never by text.
func TestFailureKind(t *testing.T) {
	for err, want := range map[error]string{
		proto("WRONGPASS invalid username-password pair"):    "WRONGPASS",
		proto("NOAUTH Authentication required."):             "NOAUTH",
		proto("ERR secret-looking text"):                     "ERR",
		proto("lower case text"):                             "redis error",
		context.DeadlineExceeded:                             "timeout",
		&net.OpError{Op: "dial", Err: errors.New("refused")}: "network",
		errors.New("x"):                                      "other",
	} {
		if got := failureKind(err); got != want {
			t.Errorf("%v: %q, want %q", err, got, want)
		}
	}
}

// proto is an error as Redis sends it (a goredis.Error).
type proto string

func (p proto) Error() string { return string(p) }
func (proto) RedisError()     {}
