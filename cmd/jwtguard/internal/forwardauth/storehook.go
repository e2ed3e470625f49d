package forwardauth

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// storeWarnInterval is the least time between two "failing" warnings of
// one Redis client.
var storeWarnInterval = time.Minute

// storeHook is a go-redis hook that counts the failed dials and commands of
// the key store's client (jwtguard_store_errors_total) and logs when Redis
// goes from working to failing (a warning, at most one per
// storeWarnInterval) and back (info). A wrong password or ACL, or a Redis
// that does not answer, would otherwise go unseen: the Validator falls back
// to the IdP without a word. Neither the metric nor the log holds an
// error's text or a key: only the kind of failure.
type storeHook struct {
	m    *metrics
	log  *slog.Logger
	addr string

	mu       sync.Mutex
	failing  bool
	warned   bool // the current failure was logged
	lastWarn time.Time
}

var _ goredis.Hook = (*storeHook)(nil)

func newStoreHook(m *metrics, log *slog.Logger, addr string) *storeHook {
	return &storeHook{m: m, log: log, addr: addr}
}

func (h *storeHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		h.done(ctx, "dial", err)
		return c, err
	}
}

func (h *storeHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		h.done(ctx, "command", err)
		return err
	}
}

func (h *storeHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil {
			for _, c := range cmds {
				if e := c.Err(); e != nil && !errors.Is(e, goredis.Nil) {
					err = e
					break
				}
			}
		}
		h.done(ctx, "command", err)
		return err
	}
}

// done records the outcome of one dial or command. A miss (redis.Nil) is
// an answer, not a failure; a caller that went away is neither.
func (h *storeHook) done(ctx context.Context, op string, err error) {
	if errors.Is(err, goredis.Nil) {
		err = nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, goredis.ErrClosed) {
		return
	}
	if err == nil {
		// A dial that works says little (AUTH comes after it).
		if op == "command" {
			h.recovered(ctx)
		}
		return
	}
	h.m.storeError(op)
	h.mu.Lock()
	if h.failing {
		h.mu.Unlock()
		return
	}
	h.failing = true
	now := time.Now()
	h.warned = h.lastWarn.IsZero() || now.Sub(h.lastWarn) >= storeWarnInterval
	if h.warned {
		h.lastWarn = now
	}
	warn := h.warned
	h.mu.Unlock()
	if warn {
		h.log.WarnContext(ctx, "redis key store failing: keys come from memory or the IdP until it works again (see jwtguard_store_errors_total)",
			"redis", h.addr, "op", op, "kind", failureKind(err))
	}
}

func (h *storeHook) recovered(ctx context.Context) {
	h.mu.Lock()
	if !h.failing {
		h.mu.Unlock()
		return
	}
	h.failing = false
	warned := h.warned
	h.mu.Unlock()
	if warned {
		h.log.InfoContext(ctx, "redis key store works again", "redis", h.addr)
	}
}

// failureKind names the kind of a failure without its text: a Redis
// error's code (WRONGPASS, NOAUTH, NOPERM, …), timeout or network.
func failureKind(err error) string {
	var re goredis.Error
	if errors.As(err, &re) {
		code, _, _ := strings.Cut(re.Error(), " ")
		if code != "" && code == strings.ToUpper(code) && len(code) <= 32 && !strings.ContainsAny(code, "\r\n") {
			return code
		}
		return "redis error"
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne):
		return "network"
	}
	return "other"
}
