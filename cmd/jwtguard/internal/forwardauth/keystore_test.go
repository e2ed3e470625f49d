package forwardauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtguard/jwtguard/authztest"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
	"github.com/jwtguard/jwtguard/internal/redistest"
	"github.com/jwtguard/jwtguard/keystore/redisstore"
)

// TestReloadKeepsStore: a reload keeps the key store and its Redis client
// when the keystore block is unchanged (a new secret included), builds new
// ones otherwise and closes the old client; Close closes the client.
func TestReloadKeepsStore(t *testing.T) {
	addr := redistest.Server(t)
	idp := authztest.NewT(t)
	dir := t.TempDir()
	secret := func(name string) string {
		raw := make([]byte, 32)
		rand.Read(raw)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(raw)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s1, s2 := secret("s1"), secret("s2")
	load := func(prefix, secrets string) *config.Config {
		t.Helper()
		c, err := config.Parse("t.yaml", fmt.Appendf(nil, "keystore:\n  type: redis\n  redis: {url: 'redis://%s/0', prefix: %q}\n  secret_files: [%s]\n%s",
			addr, prefix, secrets, testConfig(idp.URL(), "")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, err := New(load("a:", s1), WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), WithWarmWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	first := a.ks
	if _, ok := first.store.(*redisstore.Store); !ok {
		t.Fatalf("store %T, want *redisstore.Store", first.store)
	}
	ping := func(c goredis.UniversalClient) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	}

	// The same block, the secrets rotated: the same store and client.
	if err := a.Reload(load("a:", s2+", "+s1)); err != nil {
		t.Fatal(err)
	}
	if a.ks != first {
		t.Error("a reload with the same keystore block built a new store")
	}

	// Another prefix: a new store and client; the old client is closed.
	if err := a.Reload(load("b:", s1)); err != nil {
		t.Fatal(err)
	}
	if a.ks == first || a.ks.client == first.client {
		t.Fatal("a reload with another prefix kept the store")
	}
	if err := ping(first.client); !errors.Is(err, goredis.ErrClosed) {
		t.Errorf("the previous client: ping %v, want it closed", err)
	}
	if err := ping(a.ks.client); err != nil {
		t.Errorf("the new client: %v", err)
	}

	// A refused reload keeps the current store open.
	bad := load("c:", s1)
	bad.Issuers = nil
	second := a.ks
	if err := a.Reload(bad); err == nil {
		t.Fatal("a configuration without issuers was accepted")
	}
	if a.ks != second || ping(second.client) != nil {
		t.Error("a refused reload changed or closed the store")
	}

	// A reload refused by authz.New, after its new store (another
	// prefix) and client were built: the new client is closed, the
	// current store stays open. (insecure_without_secret turned off after
	// the check: the Validator refuses a shared store with no secret.)
	c, err := config.Parse("i.yaml", fmt.Appendf(nil, "keystore:\n  type: redis\n  redis: {url: 'redis://%s/0', prefix: d:}\n  insecure_without_secret: true\n%s",
		addr, testConfig(idp.URL(), "")))
	if err != nil {
		t.Fatal(err)
	}
	c.Keystore.InsecureWithoutSecret = false
	var made []*goredis.Client
	newRedisClient = func(o *goredis.Options) *goredis.Client {
		cl := goredis.NewClient(o)
		made = append(made, cl)
		return cl
	}
	defer func() { newRedisClient = goredis.NewClient }()
	if err := a.Reload(c); err == nil || !strings.Contains(err.Error(), "WithStoreSecret") {
		t.Fatalf("a redis store without a secret: reload error %v, want authz.New's", err)
	}
	if len(made) != 1 {
		t.Fatalf("%d clients made, want 1 (the refusal must come after the new store is built)", len(made))
	}
	if err := ping(made[0]); !errors.Is(err, goredis.ErrClosed) {
		t.Errorf("the refused reload's client: ping %v, want it closed", err)
	}
	if a.ks != second || ping(second.client) != nil {
		t.Error("a reload refused by authz.New changed or closed the current store")
	}

	// Back to memory, then Close.
	c, err = config.Parse("m.yaml", []byte(testConfig(idp.URL(), "")))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(c); err != nil {
		t.Fatal(err)
	}
	if a.ks.client != nil || !errors.Is(ping(second.client), goredis.ErrClosed) {
		t.Error("the switch to memory did not close the Redis client")
	}
	if err := a.Reload(load("a:", s1)); err != nil {
		t.Fatal(err)
	}
	last := a.ks.client
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(ping(last), goredis.ErrClosed) {
		t.Error("Close did not close the Redis client")
	}
	if err := a.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
