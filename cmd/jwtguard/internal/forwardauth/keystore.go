package forwardauth

import (
	"log/slog"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
	"github.com/jwtguard/jwtguard/keystore"
	"github.com/jwtguard/jwtguard/keystore/memory"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// keyStore is the Authorizer's key store and the configuration it was
// built from. It outlives reloads that leave the store as it is, so a
// reload finds the keys it has.
type keyStore struct {
	cfg    config.Keystore
	store  keystore.Store
	client goredis.UniversalClient // the redis store's; nil for memory
}

// newRedisClient makes the Redis client of a redis store (tests replace
// it to see the clients made).
var newRedisClient = goredis.NewClient

// newKeyStore builds the store k describes. It does not contact Redis:
// the Validator does, and works on without it. The client's failures are
// counted in m and logged to log (storeHook).
func newKeyStore(k config.Keystore, m *metrics, log *slog.Logger) (*keyStore, error) {
	ks := &keyStore{cfg: k}
	if k.Type != "redis" {
		ks.store = memory.New()
		return ks, nil
	}
	client := newRedisClient(k.RedisOptions())
	client.AddHook(newStoreHook(m, log, client.Options().Addr))
	s, err := redisstore.New(client, redisstore.WithPrefix(*k.Redis.Prefix), redisstore.WithTimeout(k.Redis.Timeout))
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	ks.store, ks.client = s, client
	return ks, nil
}

// validatorOptions returns the options that put a Validator on the store,
// with the secrets of k (the file being loaded: the secrets may change
// while the store stays). For Redis, the Validator's own bound on a store
// call is the configured timeout: left at its default (500ms), it would
// cut a longer timeout short. No other KeyOptions are set here: a later
// WithKeyOptions (tests' WithValidatorOptions) replaces these whole.
func (ks *keyStore) validatorOptions(k *config.Keystore) []authz.Option {
	opts := []authz.Option{authz.WithStore(ks.store)}
	if ks.client != nil {
		opts = append(opts, authz.WithKeyOptions(authz.KeyOptions{StoreTimeout: ks.cfg.Redis.Timeout}))
	}
	if s := k.Secrets(); len(s) > 0 {
		opts = append(opts, authz.WithStoreSecret(s...))
	} else if k.InsecureWithoutSecret {
		// The operator set insecure_without_secret: the Redis is as
		// trusted as this process.
		opts = append(opts, authz.InsecureStoreWithoutSecret())
	}
	return opts
}

// logAttrs describes the store for the log, without its password.
func (ks *keyStore) logAttrs() []any {
	if ks.client == nil {
		return []any{"type", ks.cfg.Type}
	}
	o := ks.cfg.RedisOptions()
	return []any{"type", ks.cfg.Type, "redis", o.Addr, "db", o.DB, "tls", o.TLSConfig != nil,
		"prefix", *ks.cfg.Redis.Prefix, "authenticated", len(ks.cfg.Secrets()) > 0}
}

// close closes the Redis client, if any. Call it after the last Validator
// using the store is closed.
func (ks *keyStore) close() error {
	if ks == nil || ks.client == nil {
		return nil
	}
	return ks.client.Close()
}
