package config

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rest is the part of a configuration after the keystore block.
const rest = "issuers:\n  - preset: google\n    audiences: [c]\nrules:\n  - anonymous: true\n"

// writeSecret writes a random secret of n bytes (base64, so n/4*3 random
// bytes) and a trailing newline to a file of t's own, and returns the
// path and the secret as the configuration must read it.
func writeSecret(t *testing.T, n int) (path string, secret []byte) {
	t.Helper()
	raw := make([]byte, n)
	rand.Read(raw)
	secret = []byte(base64.RawURLEncoding.EncodeToString(raw)[:n])
	path = filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, append(secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, secret
}

func TestKeystoreRedis(t *testing.T) {
	sec1, want1 := writeSecret(t, 48)
	sec2, want2 := writeSecret(t, 32)
	pw, wantPW := writeSecret(t, 20)
	yaml := "keystore:\n  type: redis\n  redis:\n    url: redis://jwtguard@127.0.0.1:6390/3\n    password_file: " + pw +
		"\n    prefix: \"app:\"\n    timeout: 250ms\n  secret_files: [" + sec1 + ", " + sec2 + "]\n" + rest
	c, err := Parse("good.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	k := &c.Keystore
	if s := k.Secrets(); len(s) != 2 || !bytes.Equal(s[0], want1) || !bytes.Equal(s[1], want2) {
		t.Errorf("secrets not read in order, newline trimmed (%d secrets)", len(s))
	}
	o := k.RedisOptions()
	if o.Addr != "127.0.0.1:6390" || o.DB != 3 || o.Username != "jwtguard" || o.Password != string(wantPW) || o.TLSConfig != nil {
		t.Errorf("options: addr %q db %d user %q, password read: %v, tls %v", o.Addr, o.DB, o.Username, o.Password == string(wantPW), o.TLSConfig != nil)
	}
	if o.DialTimeout != 250*time.Millisecond || o.ReadTimeout != 250*time.Millisecond || o.WriteTimeout != 250*time.Millisecond || !o.ContextTimeoutEnabled {
		t.Errorf("timeouts: dial %v read %v write %v, ContextTimeoutEnabled %v", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.ContextTimeoutEnabled)
	}
	if *k.Redis.Prefix != "app:" || k.Redis.Timeout != 250*time.Millisecond {
		t.Errorf("prefix %q timeout %v", *k.Redis.Prefix, k.Redis.Timeout)
	}

	// TLS, secrets from the environment, the defaults.
	secret := strings.Repeat("s", 40)
	t.Setenv("JWTGUARD_TEST_STORE_SECRET", secret+"\n")
	t.Setenv("JWTGUARD_TEST_REDIS_PASSWORD", "pw")
	c, err = Parse("env.yaml", []byte("keystore:\n  type: redis\n  redis:\n    url: rediss://redis.internal:6380\n    password_env: JWTGUARD_TEST_REDIS_PASSWORD\n  secret_env: [JWTGUARD_TEST_STORE_SECRET]\n"+rest))
	if err != nil {
		t.Fatal(err)
	}
	k = &c.Keystore
	o = k.RedisOptions()
	if o.TLSConfig == nil || o.TLSConfig.ServerName != "redis.internal" || o.Password != "pw" || o.ReadTimeout != 500*time.Millisecond {
		t.Errorf("rediss: tls %v, password read %v, read timeout %v", o.TLSConfig != nil, o.Password == "pw", o.ReadTimeout)
	}
	if *k.Redis.Prefix != DefaultRedisPrefix || len(k.Secrets()) != 1 || string(k.Secrets()[0]) != secret {
		t.Errorf("prefix %q, %d secrets", *k.Redis.Prefix, len(k.Secrets()))
	}

	// The explicit flag runs a shared store without a secret.
	c, err = Parse("insecure.yaml", []byte("keystore:\n  type: redis\n  redis: {url: redis://127.0.0.1:6379}\n  insecure_without_secret: true\n"+rest))
	if err != nil {
		t.Fatalf("insecure_without_secret refused: %v", err)
	}
	if !c.Keystore.InsecureWithoutSecret || c.Keystore.Secrets() != nil {
		t.Errorf("insecure: %v, %d secrets", c.Keystore.InsecureWithoutSecret, len(c.Keystore.Secrets()))
	}

	// Memory stays the default.
	c, err = Parse("memory.yaml", []byte(rest))
	if err != nil || c.Keystore.Type != "memory" || c.Keystore.RedisOptions() != nil {
		t.Errorf("default keystore: %+v, %v", c.Keystore, err)
	}
}

func TestKeystoreErrors(t *testing.T) {
	good, _ := writeSecret(t, 32)
	short, shortSecret := writeSecret(t, 31)
	t.Setenv("JWTGUARD_TEST_SHORT_SECRET", "0123456789")
	missing := filepath.Join(t.TempDir(), "nothing")
	unreadable := filepath.Join(t.TempDir(), "unreadable")
	if err := os.WriteFile(unreadable, []byte(strings.Repeat("x", 40)), 0); err != nil {
		t.Fatal(err)
	}
	unreadableWhy := "permission denied"
	if os.Getuid() == 0 {
		unreadable, unreadableWhy = t.TempDir(), "read: is a directory" // root reads any file
	}
	const inlinePW = "hunter2-inline-password"
	redis := func(url string, more string) string {
		return "keystore:\n  type: redis\n  redis:\n    url: " + url + "\n" + more + rest
	}
	tests := []struct {
		name   string
		yaml   string
		want   []string // each must appear
		secret string   // must not appear
	}{
		{"missing secret", redis("redis://127.0.0.1:6379", ""),
			[]string{"bad.yaml:2: keystore type redis needs a secret", "insecure_without_secret"}, ""},
		{"short secret file", redis("redis://127.0.0.1:6379", "  secret_files: ["+good+", "+short+"]\n"),
			[]string{"bad.yaml:5: keystore secret (secret_files[1]) is 31 bytes: want 32 or more"}, string(shortSecret)},
		{"short secret env", redis("redis://127.0.0.1:6379", "  secret_env:\n    - JWTGUARD_TEST_SHORT_SECRET\n"),
			[]string{`bad.yaml:6: keystore secret (environment variable "JWTGUARD_TEST_SHORT_SECRET") is 10 bytes`}, "0123456789"},
		{"unset secret env", redis("redis://127.0.0.1:6379", "  secret_env: [JWTGUARD_TEST_NO_SUCH_VARIABLE]\n"),
			[]string{`bad.yaml:5: keystore secret: environment variable "JWTGUARD_TEST_NO_SUCH_VARIABLE" is not set`}, ""},
		{"missing secret file", redis("redis://127.0.0.1:6379", "  secret_files: ["+missing+"]\n"),
			[]string{"bad.yaml:5: keystore secret_files[0]: cannot be read (does not exist)"}, missing},
		{"secret pasted as a secret file", redis("redis://127.0.0.1:6379", "  secret_files: [S3cret-pasted-here]\n"),
			[]string{"bad.yaml:5: keystore secret_files[0]: cannot be read (does not exist)"}, "S3cret"},
		{"unreadable secret file", redis("redis://127.0.0.1:6379", "  secret_files: ["+unreadable+"]\n"),
			[]string{"bad.yaml:5: keystore secret_files[0]: cannot be read (" + unreadableWhy + ")"}, unreadable},
		{"secret pasted as a secret env", redis("redis://127.0.0.1:6379", "  secret_env: [\"S3cret+/pasted=\"]\n"),
			[]string{"bad.yaml:5: keystore secret_env[0]: not the name of an environment variable"}, "S3cret"},
		{"password pasted as password_env", redis("redis://127.0.0.1:6379", "    password_env: \"S3cret pw!\"\n  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:5: keystore redis password_env: not the name of an environment variable"}, "S3cret"},
		{"password pasted as password_file", redis("redis://127.0.0.1:6379", "    password_file: S3cret-pw\n  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:5: keystore redis password_file: cannot be read (does not exist)"}, "S3cret"},
		{"unset password env", redis("redis://127.0.0.1:6379", "    password_env: JWTGUARD_TEST_NO_SUCH_VARIABLE\n  secret_files: ["+good+"]\n"),
			[]string{`bad.yaml:5: keystore redis password: environment variable "JWTGUARD_TEST_NO_SUCH_VARIABLE" is not set`}, ""},
		{"password in url", redis("redis://jwtguard:"+inlinePW+"@127.0.0.1:6379/0", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url holds a password", "password_file", "password_env"}, inlinePW},
		{"password only in url", redis("redis://:"+inlinePW+"@127.0.0.1:6379", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url holds a password"}, inlinePW},
		{"unparsable url with a password", redis("\"redis://u:"+inlinePW+"@127.0.0.1:port/0\"", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url is not a valid URL"}, inlinePW},
		{"wrong scheme", redis("http://127.0.0.1:6379", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url has a scheme other than redis, rediss or unix"}, ""},
		{"bad database", redis("redis://127.0.0.1:6379/zero", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url: the path must be a database number"}, "zero"},
		{"password as a query option", redis("redis://127.0.0.1:6379/0?password="+inlinePW, "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url: a query option is unknown or has an invalid value"}, inlinePW},
		// A password the URL parser takes for a path, a database, a port,
		// a query or a fragment; or no // at all.
		{"password in the path", redis("redis://u:/S3cret@h:6380/0", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url holds an '@' outside a user name", "password_file"}, "S3cret"},
		{"password as the database", redis("redis://u:/S3cret@h:6380", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url holds an '@' outside a user name"}, "S3cret"},
		{"password in the query", redis("redis://u:12?S3cret@h/0", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url holds an '@' outside a user name"}, "S3cret"},
		{"password in a fragment", redis("\"redis://u:12#S3cret@h\"", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url holds a fragment (#)"}, "S3cret"},
		{"no //", redis("redis:u:S3cret@h", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url is not scheme://…"}, "S3cret"},
		{"two @", redis("redis://u@S3cret@h:6379/0", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url"}, "S3cret"},
		{"query option that is a password", redis("redis://h:6379/0?S3cret", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url: a query option is unknown"}, "S3cret"},
		{"bad port", redis("redis://h:S3cret/0", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url is not a valid URL"}, "S3cret"},
		{"skip_verify", redis("rediss://h:6380/0?skip_verify=true", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url sets skip_verify"}, "rediss://h"},
		{"skip_verify without TLS", redis("redis://h:6380/0?skip_verify=true", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url sets skip_verify"}, ""},
		{"timeout not below decision_timeout", "decision_timeout: 2s\n" + redis("redis://127.0.0.1:6379", "    timeout: 2s\n  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:6: keystore redis timeout 2s is not shorter than decision_timeout 2s"}, ""},
		{"unbounded read", redis("redis://127.0.0.1:6379/0?read_timeout=-1s", "  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:4: keystore redis url: read_timeout must be positive"}, ""},
		{"unknown field", redis("redis://127.0.0.1:6379", "    passwrd: x\n  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:5: field passwrd not found"}, ""},
		{"unknown keystore field", redis("redis://127.0.0.1:6379", "  secret: abc\n"),
			[]string{"bad.yaml:5: field secret not found"}, ""},
		{"two passwords", redis("redis://127.0.0.1:6379", "    password_file: "+good+"\n    password_env: X\n  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:6: keystore redis: password_file and password_env are both set"}, ""},
		{"negative timeout", redis("redis://127.0.0.1:6379", "    timeout: -1s\n  secret_files: ["+good+"]\n"),
			[]string{"bad.yaml:5: keystore redis timeout -1s is not positive"}, ""},
		{"insecure and a secret", redis("redis://127.0.0.1:6379", "  secret_files: ["+good+"]\n  insecure_without_secret: true\n"),
			[]string{"bad.yaml:6: keystore: insecure_without_secret is true but secrets are set"}, ""},
		{"redis block on memory", "keystore:\n  type: memory\n  redis: {url: redis://127.0.0.1}\n" + rest,
			[]string{`bad.yaml:3: keystore: redis is set but type is "memory"`}, ""},
		{"secret on memory", "keystore:\n  secret_files: [" + good + "]\n" + rest,
			[]string{"bad.yaml:1: keystore: secret_files, secret_env and insecure_without_secret are for type \"redis\""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error holds the secret:\n%v", err)
			}
		})
	}
}

func TestSameStore(t *testing.T) {
	sec1, _ := writeSecret(t, 32)
	sec2, _ := writeSecret(t, 32)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("one"), 0o600)
	parse := func(ks string) *Keystore {
		t.Helper()
		c, err := Parse("s.yaml", []byte(ks+rest))
		if err != nil {
			t.Fatal(err)
		}
		return &c.Keystore
	}
	redis := func(url, more, secret string) *Keystore {
		return parse("keystore:\n  type: redis\n  redis:\n    url: " + url + "\n    password_file: " + pw + "\n" + more + "  secret_files: [" + secret + "]\n")
	}
	base := redis("redis://127.0.0.1:6379/0", "", sec1)
	if !base.SameStore(redis("redis://127.0.0.1:6379/0", "    prefix: \"jwtguard:\"\n", sec2)) {
		t.Error("another secret, the default prefix spelt out: not the same store")
	}
	for name, other := range map[string]*Keystore{
		"url":     redis("redis://127.0.0.1:6379/1", "", sec1),
		"prefix":  redis("redis://127.0.0.1:6379/0", "    prefix: \"other:\"\n", sec1),
		"timeout": redis("redis://127.0.0.1:6379/0", "    timeout: 1s\n", sec1),
		"memory":  parse(""),
	} {
		if base.SameStore(other) {
			t.Errorf("another %s: the same store", name)
		}
	}
	if !parse("").SameStore(parse("keystore: {type: memory}\n")) {
		t.Error("memory is not memory")
	}
	os.WriteFile(pw, []byte("two"), 0o600)
	if base.SameStore(redis("redis://127.0.0.1:6379/0", "", sec1)) {
		t.Error("a changed password: the same store")
	}
}
