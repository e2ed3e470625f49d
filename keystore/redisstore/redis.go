package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/keystore"
)

const (
	defaultPrefix   = "jwtguard:"
	defaultTimeout  = 500 * time.Millisecond
	channelSuffix   = "changed"
	docSegment      = "doc:"
	lockSegment     = "lock:"
	subscriberQueue = 64
)

// unlockScript deletes the lock key KEYS[1] only if it still holds the
// caller's token ARGV[1]. It touches that one key, so it runs on Cluster.
var unlockScript = goredis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// Interface checks.
var (
	_ keystore.Store    = (*Store)(nil)
	_ keystore.Locker   = (*Store)(nil)
	_ keystore.Notifier = (*Store)(nil)
	_ keystore.Pinger   = (*Store)(nil)
	_ keystore.Shared   = (*Store)(nil)

	_ keystore.LockInspector = (*Store)(nil)
)

// Store is a keystore.Store backed by Redis that also implements
// keystore.Locker, keystore.Notifier and keystore.Pinger. Create one with
// New. A Store is safe for concurrent use; it holds no resources of its own
// beyond its subscriptions, so it needs no closing.
type Store struct {
	client  goredis.UniversalClient
	prefix  string
	timeout time.Duration
	channel string
	// deadlines reports whether client applies ctx deadlines to its
	// connections (ContextTimeoutEnabled).
	deadlines bool
}

// Option configures a Store.
type Option func(*config)

type config struct {
	prefix     string
	timeout    time.Duration
	channel    string
	channelSet bool
}

// WithPrefix sets the prefix of every Redis key the Store uses (default
// "jwtguard:"), so that several deployments or environments can share one
// Redis. Unless WithChannel is also given, the announcement channel becomes
// prefix+"changed". An empty prefix is allowed.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTimeout sets the longest time one operation may wait for Redis
// (default 500ms), in addition to the deadline of the caller's ctx. It must
// be positive.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithChannel sets the name of the pub/sub channel that carries
// announcements (default: the prefix followed by "changed"). It must not be
// empty. All replicas that should hear each other must use the same channel.
func WithChannel(name string) Option {
	return func(c *config) { c.channel, c.channelSet = name, true }
}

// New returns a Store that keeps its documents in Redis through client,
// which may be a standalone, Sentinel (failover) or Cluster client. The
// caller keeps ownership of client and closes it after the last use of the
// Store. New does not contact Redis; use Ping for that. It returns an error
// if client is nil or an option is invalid.
func New(client goredis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	cfg := config{prefix: defaultPrefix, timeout: defaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.timeout <= 0 {
		return nil, fmt.Errorf("redisstore: timeout %v is not positive", cfg.timeout)
	}
	if !cfg.channelSet {
		cfg.channel = cfg.prefix + channelSuffix
	}
	if cfg.channel == "" {
		return nil, errors.New("redisstore: empty channel name")
	}
	return &Store{
		client:    client,
		prefix:    cfg.prefix,
		timeout:   cfg.timeout,
		channel:   cfg.channel,
		deadlines: honoursDeadlines(client),
	}, nil
}

// honoursDeadlines reports whether client applies ctx deadlines to its
// connections.
func honoursDeadlines(client goredis.UniversalClient) bool {
	switch c := client.(type) {
	case *goredis.Client:
		return c.Options().ContextTimeoutEnabled
	case *goredis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *goredis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

func (s *Store) docKey(key string) string  { return s.prefix + docSegment + key }
func (s *Store) lockKey(key string) string { return s.prefix + lockSegment + key }

// call runs f with a context bounded by ctx and by the operation timeout,
// whichever ends first: one bound, never two stacked. When the client
// applies ctx deadlines to its connections (ContextTimeoutEnabled) and ctx
// can end only by its deadline (every call jwtguard makes), f runs on the
// caller's goroutine, with ctx itself when its deadline comes before the
// timeout. Otherwise (a client that ignores deadlines, or a ctx that can be
// canceled early) call watches f from a goroutine and returns as soon as
// the bound ends; the abandoned call goes on until go-redis gives up on it.
func call[T any](s *Store, ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	opCtx, cancel := ctx, context.CancelFunc(func() {})
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > s.timeout {
		opCtx, cancel = context.WithTimeout(ctx, s.timeout)
	}
	if s.deadlines && !cancelableBeforeDeadline(ctx) {
		defer cancel()
		v, err := f(opCtx)
		return v, s.boundErr(ctx, opCtx, err)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer cancel()
		v, err := f(opCtx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, s.boundErr(ctx, opCtx, r.err)
	case <-opCtx.Done():
		select {
		case r := <-done: // finished at the same moment: keep its answer
			return r.v, s.boundErr(ctx, opCtx, r.err)
		default:
		}
		return zero, s.boundErr(ctx, opCtx, opCtx.Err())
	}
}

// cancelableBeforeDeadline reports whether ctx may end before its deadline
// (or has none and can end at all), which go-redis would not notice.
// Contexts made only by WithTimeout/WithDeadline (and WithoutCancel,
// WithValue on top) cannot be told apart from canceled ones in general, so
// this is conservative: only a ctx with a deadline counts as deadline-bound,
// which is what jwtguard passes (a refresh's context, detached from the
// request, with a timeout).
func cancelableBeforeDeadline(ctx context.Context) bool {
	if ctx.Done() == nil {
		return false
	}
	_, ok := ctx.Deadline()
	return !ok
}

// boundErr makes an error caused by the end of opCtx match the ctx error
// (go-redis reports a deadline on the connection as a network timeout) and
// says when the operation timeout, not the caller's ctx, ended it.
func (s *Store) boundErr(ctx, opCtx context.Context, err error) error {
	if err == nil {
		return nil
	}
	ctxErr := opCtx.Err()
	if ctxErr == nil {
		return err
	}
	if !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w: %w", ctxErr, err)
	}
	if ctx.Err() == nil {
		err = fmt.Errorf("no answer within %v: %w", s.timeout, err)
	}
	return err
}

func opError(op, key string, err error) error {
	if key == "" {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return fmt.Errorf("redisstore: %s %q: %w", op, key, err)
}

// Get returns the document stored under key, or an error matching
// keystore.ErrNotFound if there is none or it has expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	k := s.docKey(key)
	v, err := call(s, ctx, func(ctx context.Context) (string, error) {
		return s.client.Get(ctx, k).Result()
	})
	if err != nil {
		if errors.Is(err, goredis.Nil) {
			return nil, keystore.ErrNotFound
		}
		return nil, opError("get", key, err)
	}
	// A fresh slice: the string may be shared, for instance with go-redis's
	// client-side cache.
	return []byte(v), nil
}

// Put stores value under key with SET, and with PX when ttl is positive (a
// ttl that is not a whole number of milliseconds is rounded up).
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	k := s.docKey(key)
	if ttl < 0 {
		ttl = 0 // go-redis reads a negative expiration as KEEPTTL
	}
	ttl = ceilMillisecond(ttl)
	if !s.deadlines || ctx.Done() != nil {
		// The call may outlive Put (see call), and the caller may change
		// value once Put returns.
		value = append([]byte(nil), value...)
	}
	_, err := call(s, ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.Set(ctx, k, value, ttl).Err()
	})
	if err != nil {
		return opError("put", key, err)
	}
	return nil
}

// Delete removes key with DEL. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	k := s.docKey(key)
	_, err := call(s, ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.Del(ctx, k).Err()
	})
	if err != nil {
		return opError("delete", key, err)
	}
	return nil
}

// TryLock takes the lock named key for ttl with SET NX PX and a random
// token, if no one holds it. The lock excludes every Store using the same
// Redis and prefix. unlock runs a script that deletes the lock only if it
// still holds the token. See keystore.Locker for the contract.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, ok bool, err error) {
	if ttl <= 0 {
		return nil, false, opError("lock", key, fmt.Errorf("ttl %v is not positive", ttl))
	}
	ttl = ceilMillisecond(ttl)
	k := s.lockKey(key)
	token := rand.Text()
	ok, err = call(s, ctx, func(ctx context.Context) (bool, error) {
		return s.client.SetNX(ctx, k, token, ttl).Result()
	})
	if err != nil {
		return nil, false, opError("lock", key, err)
	}
	if !ok {
		return nil, false, nil
	}
	unlock = func(ctx context.Context) error {
		_, err := call(s, ctx, func(ctx context.Context) (any, error) {
			return unlockScript.Run(ctx, s.client, []string{k}, token).Result()
		})
		if err != nil {
			return opError("unlock", key, err)
		}
		return nil
	}
	return unlock, true, nil
}

// LockTTL returns the time left on the lock named key (PTTL), 0 when no one
// holds it, and a negative duration for a lock without expiry (which only a
// writer other than TryLock can create). See keystore.LockInspector.
func (s *Store) LockTTL(ctx context.Context, key string) (time.Duration, error) {
	k := s.lockKey(key)
	d, err := call(s, ctx, func(ctx context.Context) (time.Duration, error) {
		return s.client.PTTL(ctx, k).Result()
	})
	if err != nil {
		return 0, opError("lock ttl", key, err)
	}
	switch d {
	case -2 * time.Millisecond, -2: // no such key (go-redis reports -2, scaled or not)
		return 0, nil
	case -1 * time.Millisecond, -1: // no expiry
		return -1, nil
	}
	return d, nil
}

// Shared reports true: other processes with access to the Redis can write
// what the Store reads, so jwtguard authenticates every document it reads
// from it (see authz.WithStoreSecret).
func (*Store) Shared() bool { return true }

// Publish announces key with PUBLISH on the Store's channel, to every
// subscriber of every Store using the same Redis and channel.
func (s *Store) Publish(ctx context.Context, key string) error {
	_, err := call(s, ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.Publish(ctx, s.channel, key).Err()
	})
	if err != nil {
		return opError("publish", key, err)
	}
	return nil
}

// Subscribe subscribes to the Store's channel on a connection of its own and
// returns once Redis has confirmed the subscription, or with an error if it
// has not within the operation timeout. It then calls fn, from one
// goroutine, with each announced key until ctx is done; go-redis reconnects
// and resubscribes by itself after a failure meanwhile. Announcements that
// arrive while fn is busy are queued, up to a limit past which they are
// dropped.
func (s *Store) Subscribe(ctx context.Context, fn func(key string)) error {
	if fn == nil {
		return opError("subscribe", "", errors.New("nil fn"))
	}
	if err := ctx.Err(); err != nil {
		return opError("subscribe", "", err)
	}
	ps := s.client.Subscribe(ctx) // no channel yet: does no I/O
	_, err := call(s, ctx, func(ctx context.Context) (struct{}, error) {
		if err := ps.Subscribe(ctx, s.channel); err != nil {
			return struct{}{}, err
		}
		reply, err := ps.Receive(ctx)
		if err != nil {
			return struct{}{}, err
		}
		if _, ok := reply.(*goredis.Subscription); !ok {
			return struct{}{}, fmt.Errorf("unexpected reply %T to SUBSCRIBE", reply)
		}
		return struct{}{}, nil
	})
	if err != nil {
		// Close waits for a call still in progress (abandoned by call),
		// which go-redis ends within its own timeouts.
		go func() { _ = ps.Close() }()
		return opError("subscribe", "", err)
	}
	msgs := ps.Channel(goredis.WithChannelSize(subscriberQueue))
	go func() {
		defer func() {
			_ = ps.Close()
			// go-redis's receiving goroutine may be blocked sending to
			// msgs; it closes msgs once it sees the PubSub closed.
			for range msgs {
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok || ctx.Err() != nil {
					return
				}
				fn(m.Payload)
			}
		}
	}()
	return nil
}

// Ping checks that Redis answers, with PING.
func (s *Store) Ping(ctx context.Context) error {
	_, err := call(s, ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.Ping(ctx).Err()
	})
	if err != nil {
		return opError("ping", "", err)
	}
	return nil
}

// ceilMillisecond rounds d up to a whole number of milliseconds, the
// resolution of PX.
func ceilMillisecond(d time.Duration) time.Duration {
	if r := d % time.Millisecond; r != 0 {
		d += time.Millisecond - r
	}
	return d
}
