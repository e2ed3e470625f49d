package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"

	"github.com/jwtguard/jwtguard/authz"
)

// Config is the whole file.
type Config struct {
	// Listen is the address the authorizer listens on [127.0.0.1:9091].
	Listen string `yaml:"listen"`
	// GRPCListen, when set, is the address of Envoy's gRPC external
	// authorization service (envoy.service.auth.v3.Authorization).
	GRPCListen string `yaml:"grpc_listen"`
	// Realm is the realm of the WWW-Authenticate challenges [jwtguard].
	Realm string `yaml:"realm"`
	// HideDescriptions leaves error_description out of challenges.
	HideDescriptions bool `yaml:"hide_descriptions"`
	// RetryAfter is the Retry-After of a 503 (keys unavailable) [5s].
	RetryAfter time.Duration `yaml:"retry_after"`
	// DecisionTimeout bounds one decision, a key fetch included [5s].
	DecisionTimeout time.Duration `yaml:"decision_timeout"`
	// TokenCache turns the verified-token cache on (authz.WithTokenCache)
	// [true].
	TokenCache *bool `yaml:"token_cache"`
	// LogLevel is debug, info, warn or error [info]. Allowed decisions are
	// logged at debug, denials at info.
	LogLevel string `yaml:"log_level"`
	// Keystore selects where fetched key sets are kept.
	Keystore Keystore `yaml:"keystore"`
	// Issuers are the trusted token issuers.
	Issuers []Issuer `yaml:"issuers"`
	// IdentityHeaders are the response headers set from the claims of an
	// allowed request, for the proxy to copy to the upstream. Nil means
	// DefaultIdentityHeaders.
	IdentityHeaders []IdentityHeader `yaml:"identity_headers"`
	// Rules are tried in order; the first that matches decides. A request
	// no rule matches is denied.
	Rules []Rule `yaml:"rules"`

	// Lines of the decoded file, for errors found after decoding.
	root *yaml.Node
	file string
}

// Keystore selects the key store.
type Keystore struct {
	// Type is "memory" (the default): keys are kept in this process and
	// kept across reloads; or "redis": keys are shared, through Redis, by
	// every authorizer using the same Redis and prefix.
	Type string `yaml:"type"`
	// Redis is where the Redis store is (type redis).
	Redis *Redis `yaml:"redis"`
	// SecretFiles and SecretEnv name the store secrets (type redis): files,
	// or environment variables, each holding 32 bytes or more. The first
	// signs the documents the authorizer stores; all are accepted when
	// reading (rotation). They are read when the file is loaded (at start,
	// SIGHUP, or a change of the configuration file): editing a secret
	// file alone does not reload.
	SecretFiles []string `yaml:"secret_files"`
	SecretEnv   []string `yaml:"secret_env"`
	// InsecureWithoutSecret shares keys through Redis without a secret:
	// whoever can write the Redis then decides which keys are accepted.
	InsecureWithoutSecret bool `yaml:"insecure_without_secret"`

	secrets  [][]byte // read by check
	password string   // read by check
}

// Redis locates the Redis of the redis key store.
type Redis struct {
	// URL is redis://host:port/db, rediss://host:port/db (TLS) or
	// unix:///path, as go-redis's ParseURL reads it, with a user name but
	// no password, no fragment and no skip_verify (see checkRedisURL).
	URL string `yaml:"url"`
	// PasswordFile or PasswordEnv hold the password (AUTH), if any. The
	// file is read when the configuration is loaded.
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// Prefix of every Redis key the store uses [jwtguard:]
	// (redisstore.WithPrefix); "" is allowed.
	Prefix *string `yaml:"prefix"`
	// Timeout bounds each wait for Redis: one store call (the Validator's
	// authz.KeyOptions.StoreTimeout and redisstore.WithTimeout), and
	// go-redis's dial, read and write [500ms]. It must be shorter than
	// DecisionTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// MinStoreSecret is the shortest store secret, in bytes.
const MinStoreSecret = 32

// DefaultRedisPrefix is the default prefix of the redis store's keys.
const DefaultRedisPrefix = "jwtguard:"

// Secrets returns the store secrets read from secret_files or secret_env,
// the signing one first; nil for none.
func (k *Keystore) Secrets() [][]byte { return k.secrets }

// RedisOptions returns the go-redis options of the redis store: the
// URL's, with the password, every wait bounded by Timeout (unless the URL
// sets it) and ContextTimeoutEnabled. It returns nil unless the type is
// redis.
func (k *Keystore) RedisOptions() *goredis.Options {
	if k.Type != "redis" || k.Redis == nil {
		return nil
	}
	o, err := goredis.ParseURL(k.Redis.URL)
	if err != nil {
		return nil // check refused it
	}
	o.Password = k.password
	for _, d := range []*time.Duration{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout} {
		if *d == 0 {
			*d = k.Redis.Timeout
		}
	}
	o.ContextTimeoutEnabled = true
	return o
}

// SameStore reports whether k and o describe the same store: same type,
// Redis settings and password. The secrets may differ: they are the
// Validator's, not the store's.
func (k *Keystore) SameStore(o *Keystore) bool {
	if k.Type != o.Type || (k.Redis == nil) != (o.Redis == nil) || k.password != o.password {
		return false
	}
	return k.Redis == nil || *k.Redis.Prefix == *o.Redis.Prefix && k.Redis.URL == o.Redis.URL &&
		k.Redis.Timeout == o.Redis.Timeout
}

// Issuer is one trusted issuer, by preset name and the preset's
// parameters.
type Issuer struct {
	// Preset is oidc, auth0, descope, okta, keycloak, google or entra.
	Preset string `yaml:"preset"`
	// Issuer is the issuer URL (oidc).
	Issuer string `yaml:"issuer"`
	// Domain is the tenant's or custom domain (auth0, okta).
	Domain string `yaml:"domain"`
	// AuthServer is Okta's authorization server ID [default].
	AuthServer string `yaml:"auth_server"`
	// ProjectID is the Descope project ID (descope).
	ProjectID string `yaml:"project_id"`
	// BaseURL is Descope's API base URL (default: from the project ID) or
	// Keycloak's server URL (keycloak).
	BaseURL string `yaml:"base_url"`
	// Realm is the Keycloak realm (keycloak).
	Realm string `yaml:"realm"`
	// Tenants are the allowed Entra ID tenant IDs (entra).
	Tenants []string `yaml:"tenants"`
	// Audiences the token's aud must name one of (client IDs for google
	// and entra).
	Audiences []string `yaml:"audiences"`
	// JWKSURL and DiscoveryURL override where keys are found.
	JWKSURL      string `yaml:"jwks_url"`
	DiscoveryURL string `yaml:"discovery_url"`
	// Leeway on exp, nbf and iat [30s].
	Leeway time.Duration `yaml:"leeway"`
	// Types are the accepted typ headers (e.g. at+jwt).
	Types []string `yaml:"types"`
	// Algorithms narrows the accepted algorithms.
	Algorithms []string `yaml:"algorithms"`
}

// IdentityHeader is one response header taken from a claim.
type IdentityHeader struct {
	// Header is the response header's name, e.g. X-Auth-Request-User.
	Header string `yaml:"header"`
	// Claim is the claim's name; a dotted path (realm_access.roles) walks
	// nested objects, but a name starting with https:// or http:// is one
	// namespaced claim. "$scopes" is the token's scopes as the issuer reads
	// them (space-separated). Arrays are joined with commas.
	Claim string `yaml:"claim"`
}

// DefaultIdentityHeaders are sent when identity_headers is absent.
var DefaultIdentityHeaders = []IdentityHeader{
	{Header: "X-Auth-Request-User", Claim: "sub"},
	{Header: "X-Auth-Request-Email", Claim: "email"},
	{Header: "X-Auth-Request-Scopes", Claim: "$scopes"},
	{Header: "X-Auth-Request-Tenant", Claim: "tenant"},
}

// Rule maps requests to what they need.
type Rule struct {
	// Name labels the rule in logs [rule <n>].
	Name string `yaml:"name"`
	// Hosts the request's host must be one of: exact, or "*.example.com"
	// for any subdomain. Empty matches any host.
	Hosts []string `yaml:"hosts"`
	// Methods the request's method must be one of. Empty matches any.
	Methods []string `yaml:"methods"`
	// Paths the normalised path must match one of: "/exact", "/prefix/*"
	// (the prefix itself and everything below it), or "*". Empty matches
	// any path.
	Paths []string `yaml:"paths"`
	// Anonymous allows the request without a token.
	Anonymous bool `yaml:"anonymous"`
	// Scopes are all required; AnyScopes at least one.
	Scopes    []string `yaml:"scopes"`
	AnyScopes []string `yaml:"any_scopes"`
	// Roles and Permissions are all required (roles and permissions
	// claims).
	Roles       []string `yaml:"roles"`
	Permissions []string `yaml:"permissions"`
	// Tenant requires roles or permissions in one tenant of Descope's
	// tenants claim (tenants.<id>.roles / .permissions), the tenant being
	// named by a claim of the token.
	Tenant *TenantRule `yaml:"tenant"`
	// Claims must each equal the given string (claim name → value; a
	// dotted name walks nested objects, see ClaimPath).
	Claims map[string]string `yaml:"claims"`
}

// TenantRule is a rule's tenant requirement.
type TenantRule struct {
	// FromClaim names the claim holding the tenant ID [dct, Descope's
	// current tenant].
	FromClaim string `yaml:"from_claim"`
	// Roles and Permissions are all required in that tenant; with neither,
	// membership of the tenant is enough.
	Roles       []string `yaml:"roles"`
	Permissions []string `yaml:"permissions"`
}

// Error is one configuration problem, at a line of the file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Load reads and checks the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse decodes and checks a configuration; name labels the errors. An
// unknown field is an error. All errors found are returned, joined, each
// an *Error with its line.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var typeErrs error
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		switch {
		case errors.Is(err, io.EOF):
			return nil, &Error{File: name, Msg: "empty file"}
		case !errors.As(err, &te):
			return nil, yamlErrors(name, err) // a syntax error: nothing more to check
		}
		// yaml.v3 decodes the rest after a type error (an unknown field):
		// check it too, so that every error is reported at once.
		typeErrs = yamlErrors(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) > 0 {
		c.root = root.Content[0]
	}
	c.applyDefaults()
	if err := errors.Join(typeErrs, c.check()); err != nil {
		return nil, err
	}
	return c, nil
}

// yamlErrors turns yaml.v3's "line N: msg" texts into *Errors.
func yamlErrors(name string, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var errs []error
	for _, m := range msgs {
		e := &Error{File: name, Msg: m}
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(n); err == nil {
					e.Line, e.Msg = l, msg
				}
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9091"
	}
	if c.Realm == "" {
		c.Realm = "jwtguard"
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 5 * time.Second
	}
	if c.DecisionTimeout <= 0 {
		c.DecisionTimeout = 5 * time.Second
	}
	if c.TokenCache == nil {
		t := true
		c.TokenCache = &t
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.Keystore.Type == "" {
		c.Keystore.Type = "memory"
	}
	if r := c.Keystore.Redis; r != nil {
		if r.Timeout == 0 {
			r.Timeout = 500 * time.Millisecond
		}
		if r.Prefix == nil {
			p := DefaultRedisPrefix
			r.Prefix = &p
		}
	}
	if c.IdentityHeaders == nil {
		c.IdentityHeaders = DefaultIdentityHeaders
	}
}

// line returns the line of the node at path (mapping keys and sequence
// indexes), or of the nearest ancestor found.
func (c *Config) line(path ...any) int {
	n := c.root
	if n == nil {
		return 0
	}
	best := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
						best = n.Content[i].Line
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
			}
		}
		if next == nil {
			return best
		}
		n = next
		if _, isKey := p.(string); !isKey {
			best = n.Line
		}
	}
	return best
}

type errList struct {
	c    *Config
	errs []error
}

func (l *errList) add(path []any, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.c.file, Line: l.c.line(path...), Msg: fmt.Sprintf(format, args...)})
}

func (c *Config) check() error {
	l := &errList{c: c}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		l.add([]any{"log_level"}, "log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	c.checkKeystore(l)
	if len(c.Issuers) == 0 {
		l.add([]any{"issuers"}, "no issuers: add at least one")
	}
	if _, err := c.AuthzIssuers(); err != nil {
		l.errs = append(l.errs, err)
	}
	for i, h := range c.IdentityHeaders {
		p := []any{"identity_headers", i}
		if !validHeaderName(h.Header) {
			l.add(p, "identity header %q is not a valid header name", h.Header)
		}
		if h.Claim == "" || slices.Contains(ClaimPath(h.Claim), "") {
			l.add(p, "identity header %q: claim %q is not a claim name or dotted path", h.Header, h.Claim)
		}
	}
	if len(c.Rules) == 0 {
		l.add([]any{"rules"}, "no rules: every request would be denied")
	}
	for i := range c.Rules {
		if _, err := c.Rules[i].Policy(); err != nil {
			l.add([]any{"rules", i}, "rule %s: %v", c.RuleName(i), err)
		}
		for _, p := range c.Rules[i].Paths {
			if p != "*" && !strings.HasPrefix(p, "/") {
				l.add([]any{"rules", i, "paths"}, "rule %s: path %q must start with / (or be *)", c.RuleName(i), p)
			}
			if strings.Contains(strings.TrimSuffix(p, "/*"), "*") && p != "*" {
				l.add([]any{"rules", i, "paths"}, "rule %s: path %q: * is allowed only as a last /* element", c.RuleName(i), p)
			}
		}
		for _, m := range c.Rules[i].Methods {
			if m == "" || strings.ToUpper(m) != m {
				l.add([]any{"rules", i, "methods"}, "rule %s: method %q must be upper case", c.RuleName(i), m)
			}
		}
		for _, h := range c.Rules[i].Hosts {
			if h == "" || strings.Contains(strings.TrimPrefix(h, "*."), "*") {
				l.add([]any{"rules", i, "hosts"}, "rule %s: host %q: want a host name or *.domain", c.RuleName(i), h)
			}
		}
	}
	return errors.Join(l.errs...)
}

// checkKeystore checks the keystore block and reads its secrets and
// password. No error names a secret's or password's content.
func (c *Config) checkKeystore(l *errList) {
	k := &c.Keystore
	switch k.Type {
	case "memory":
		if k.Redis != nil {
			l.add([]any{"keystore", "redis"}, `keystore: redis is set but type is "memory" (set type: redis, or remove it)`)
		}
		if len(k.SecretFiles) > 0 || len(k.SecretEnv) > 0 || k.InsecureWithoutSecret {
			l.add([]any{"keystore"}, `keystore: secret_files, secret_env and insecure_without_secret are for type "redis"; the memory store needs none`)
		}
		return
	case "redis":
	default:
		l.add([]any{"keystore", "type"}, "keystore type %q: want memory or redis", k.Type)
		return
	}
	if k.Redis == nil || k.Redis.URL == "" {
		l.add([]any{"keystore", "type"}, "keystore type redis needs redis: {url: redis://host:port/db}")
	} else {
		c.checkRedis(l)
	}
	for i, f := range k.SecretFiles {
		p := []any{"keystore", "secret_files", i}
		b, err := os.ReadFile(f)
		if err != nil {
			l.add(p, "keystore secret_files[%d]: cannot be read (%s)", i, readFailure(err))
			continue
		}
		c.addSecret(l, p, fmt.Sprintf("secret_files[%d]", i), trimNewline(b))
	}
	for i, name := range k.SecretEnv {
		p := []any{"keystore", "secret_env", i}
		if !envName(name) {
			l.add(p, "keystore secret_env[%d]: %s", i, notEnvName)
			continue
		}
		v, ok := os.LookupEnv(name)
		if !ok {
			l.add(p, "keystore secret: environment variable %q is not set", name)
			continue
		}
		c.addSecret(l, p, "environment variable "+strconv.Quote(name), trimNewline([]byte(v)))
	}
	switch n := len(k.SecretFiles) + len(k.SecretEnv); {
	case n == 0 && !k.InsecureWithoutSecret:
		l.add([]any{"keystore", "type"}, "keystore type redis needs a secret (secret_files or secret_env, %d bytes or more, the same on every authorizer sharing the Redis): it authenticates the stored keys, so that whoever can write the Redis cannot plant keys. Set insecure_without_secret: true only for a Redis as trusted as this process", MinStoreSecret)
	case n > 0 && k.InsecureWithoutSecret:
		l.add([]any{"keystore", "insecure_without_secret"}, "keystore: insecure_without_secret is true but secrets are set: remove one")
	}
}

// checkRedis checks the redis block and reads its password. No error
// quotes the URL, nor the text of a URL parser's error, which may: each
// says which rule the URL breaks.
func (c *Config) checkRedis(l *errList) {
	r := c.Keystore.Redis
	p := []any{"keystore", "redis", "url"}
	const want = "(want redis://[user@]host:port/db, rediss://[user@]host:port/db or unix:///path)"
	if msg := checkRedisURL(r.URL); msg != "" {
		l.add(p, "keystore redis url %s %s", msg, want)
		return
	}
	o, err := goredis.ParseURL(r.URL)
	if err != nil {
		// ParseURL's text may quote any part of the URL: say what is
		// wrong without it.
		l.add(p, "keystore redis url: %s %s", parseURLRule(r.URL), want)
		return
	}
	for i, d := range []time.Duration{o.DialTimeout, o.ReadTimeout, o.WriteTimeout} {
		if d < 0 {
			l.add(p, "keystore redis url: %s must be positive (every wait for Redis is bounded)", []string{"dial_timeout", "read_timeout", "write_timeout"}[i])
		}
	}
	switch {
	case r.Timeout < 0:
		l.add([]any{"keystore", "redis", "timeout"}, "keystore redis timeout %v is not positive", r.Timeout)
	case r.Timeout >= c.DecisionTimeout:
		l.add([]any{"keystore", "redis", "timeout"}, "keystore redis timeout %v is not shorter than decision_timeout %v: a slow Redis would use up every decision's time (lower timeout, or raise decision_timeout)", r.Timeout, c.DecisionTimeout)
	}
	switch {
	case r.PasswordFile != "" && r.PasswordEnv != "":
		l.add([]any{"keystore", "redis", "password_env"}, "keystore redis: password_file and password_env are both set: keep one")
	case r.PasswordFile != "":
		b, err := os.ReadFile(r.PasswordFile)
		if err != nil {
			l.add([]any{"keystore", "redis", "password_file"}, "keystore redis password_file: cannot be read (%s)", readFailure(err))
			return
		}
		c.Keystore.password = string(trimNewline(b))
	case r.PasswordEnv != "":
		if !envName(r.PasswordEnv) {
			l.add([]any{"keystore", "redis", "password_env"}, "keystore redis password_env: %s", notEnvName)
			return
		}
		v, ok := os.LookupEnv(r.PasswordEnv)
		if !ok {
			l.add([]any{"keystore", "redis", "password_env"}, "keystore redis password: environment variable %q is not set", r.PasswordEnv)
			return
		}
		c.Keystore.password = string(trimNewline([]byte(v)))
	}
}

// checkRedisURL returns the rule raw breaks, or "" when go-redis may read
// it. A password has no place in the URL, wherever it hides: in the user
// information, or after an '@' that a URL parser takes for part of a path,
// port, query or fragment (and then quotes in its error, or ignores).
func checkRedisURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a valid URL"
	case u.Opaque != "":
		return "is not scheme://…: the part after the scheme must start with //"
	case u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix":
		return "has a scheme other than redis, rediss or unix"
	case strings.Contains(raw, "#"):
		return "holds a fragment (#)"
	}
	if _, ok := u.User.Password(); ok {
		return "holds a password: remove it, and put the password in a file (password_file) or an environment variable (password_env)"
	}
	if n := strings.Count(raw, "@"); n > 1 || n == 1 && u.User == nil {
		return "holds an '@' outside a user name: if that is a password, remove it, and put it in a file (password_file) or an environment variable (password_env)"
	}
	if u.Query().Has("skip_verify") {
		return "sets skip_verify, which would turn off the check of the server's TLS certificate: remove it (the system's CA pool is used; see SSL_CERT_FILE)"
	}
	return ""
}

// parseURLRule says which rule a URL that checkRedisURL let pass and
// go-redis's ParseURL refused breaks, without quoting the URL.
func parseURLRule(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "not a valid URL"
	}
	if u.Scheme != "unix" {
		if _, _, err := net.SplitHostPort(u.Host); u.Host != "" && strings.Contains(u.Host, ":") && err != nil {
			return "the host and port are not host:port"
		}
		if db := strings.TrimPrefix(u.Path, "/"); db != "" {
			if _, err := strconv.Atoi(db); err != nil {
				return "the path must be a database number (/0)"
			}
		}
	}
	return "a query option is unknown or has an invalid value (go-redis ParseURL's options: pool_size, dial_timeout, …)"
}

// envName reports whether s has the form of an environment variable's
// name. Only such a name is quoted in an error: anything else may be a
// secret pasted where its variable's name belongs.
func envName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// notEnvName is the error about a value that is not a variable's name.
const notEnvName = "not the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*): give the variable's name here, not its value"

// readFailure says why a file could not be read, without its path (which
// may be a secret pasted where a path belongs).
func readFailure(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return "read error"
}

// addSecret keeps one store secret, or reports it too short.
func (c *Config) addSecret(l *errList, path []any, what string, b []byte) {
	if len(b) < MinStoreSecret {
		l.add(path, "keystore secret (%s) is %d bytes: want %d or more, random (openssl rand -base64 48)", what, len(b), MinStoreSecret)
		return
	}
	c.Keystore.secrets = append(c.Keystore.secrets, b)
}

// trimNewline removes one trailing newline (\n or \r\n), which editors and
// echo add to a secret file.
func trimNewline(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// RuleName returns rule i's name, or "#<i+1>".
func (c *Config) RuleName(i int) string {
	if c.Rules[i].Name != "" {
		return strconv.Quote(c.Rules[i].Name)
	}
	return "#" + strconv.Itoa(i+1)
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// AuthzIssuers builds the authz settings of every issuer. Errors carry the
// line of the issuer they are about.
func (c *Config) AuthzIssuers() ([]authz.Issuer, error) {
	l := &errList{c: c}
	var out []authz.Issuer
	for i, is := range c.Issuers {
		built, err := is.Build()
		if err != nil {
			l.add([]any{"issuers", i}, "issuer #%d (%s): %v", i+1, is.Preset, err)
			continue
		}
		out = append(out, built...)
	}
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	// authz.New checks what the presets leave (audiences, URLs, algorithms).
	v, err := authz.New(out, authz.WithoutBackground())
	if err != nil {
		return nil, &Error{File: c.file, Line: c.line("issuers"), Msg: err.Error()}
	}
	v.Close()
	return out, nil
}

// Presets lists the preset names Build accepts.
var Presets = []string{"oidc", "auth0", "descope", "okta", "keycloak", "google", "entra"}

// Build returns the authz settings of this issuer: the preset's, amended by
// the overrides (jwks_url, discovery_url, leeway, types, algorithms).
func (is Issuer) Build() ([]authz.Issuer, error) {
	need := func(field, v string) error {
		if v == "" {
			return fmt.Errorf("preset %s needs %s", is.Preset, field)
		}
		return nil
	}
	var out []authz.Issuer
	switch is.Preset {
	case "oidc", "":
		if err := need("issuer", is.Issuer); err != nil {
			return nil, errors.New("preset oidc needs issuer (the exact iss of the tokens)")
		}
		out = []authz.Issuer{authz.OIDC(is.Issuer, is.Audiences...)}
	case "auth0":
		if err := need("domain", is.Domain); err != nil {
			return nil, err
		}
		out = []authz.Issuer{authz.Auth0(is.Domain, is.Audiences...)}
	case "descope":
		if err := need("project_id", is.ProjectID); err != nil {
			return nil, err
		}
		if is.BaseURL != "" {
			out = []authz.Issuer{authz.DescopeAt(is.BaseURL, is.ProjectID, is.Audiences...)}
		} else {
			out = []authz.Issuer{authz.Descope(is.ProjectID, is.Audiences...)}
		}
	case "okta":
		if err := need("domain", is.Domain); err != nil {
			return nil, err
		}
		as := is.AuthServer
		if as == "" {
			as = "default"
		}
		out = []authz.Issuer{authz.Okta(is.Domain, as, is.Audiences...)}
	case "keycloak":
		if err := errors.Join(need("base_url", is.BaseURL), need("realm", is.Realm)); err != nil {
			return nil, err
		}
		out = []authz.Issuer{authz.Keycloak(is.BaseURL, is.Realm, is.Audiences...)}
	case "google":
		out = []authz.Issuer{authz.Google(is.Audiences...)}
	case "entra":
		if len(is.Tenants) == 0 {
			return nil, errors.New("preset entra needs tenants (the allowed tenant IDs)")
		}
		out = authz.EntraID(is.Tenants, is.Audiences...)
	default:
		return nil, fmt.Errorf("unknown preset %q (want one of %s)", is.Preset, strings.Join(Presets, ", "))
	}
	if is.Preset != "descope" && is.Preset != "keycloak" && is.BaseURL != "" {
		return nil, fmt.Errorf("base_url is not a parameter of preset %s", is.Preset)
	}
	for i := range out {
		if is.JWKSURL != "" {
			out[i].JWKSURL = is.JWKSURL
		}
		if is.DiscoveryURL != "" {
			out[i].DiscoveryURL = is.DiscoveryURL
			out[i].JWKSURL = ""
		}
		if is.Leeway != 0 {
			out[i].Leeway = is.Leeway
		}
		if len(is.Types) > 0 {
			out[i].Types = is.Types
		}
		if len(is.Algorithms) > 0 {
			out[i].Algorithms = is.Algorithms
		}
	}
	return out, nil
}

// Policy builds the rule's policy; nil for an anonymous rule. A rule that
// asks for nothing allows any valid token.
func (r Rule) Policy() (p authz.Policy, err error) {
	defer func() {
		// The policy constructors panic on values no policy can hold
		// (an empty scope, say); here that is a configuration error.
		if v := recover(); v != nil {
			p, err = nil, fmt.Errorf("%v", v)
		}
	}()
	var ps []authz.Policy
	if len(r.Scopes) > 0 {
		ps = append(ps, authz.RequireScopes(r.Scopes...))
	}
	if len(r.AnyScopes) > 0 {
		ps = append(ps, authz.RequireAnyScope(r.AnyScopes...))
	}
	if len(r.Roles) > 0 {
		ps = append(ps, authz.RequireRoles(r.Roles...))
	}
	if len(r.Permissions) > 0 {
		ps = append(ps, authz.RequirePermissions(r.Permissions...))
	}
	if t := r.Tenant; t != nil {
		from := t.FromClaim
		if from == "" {
			from = "dct"
		}
		src := authz.TenantFromClaim(ClaimPath(from)...)
		if len(t.Roles) > 0 {
			ps = append(ps, authz.TenantRoles(src, t.Roles...))
		}
		if len(t.Permissions) > 0 {
			ps = append(ps, authz.TenantPermissions(src, t.Permissions...))
		}
		if len(t.Roles) == 0 && len(t.Permissions) == 0 {
			ps = append(ps, authz.TenantMember(src))
		}
	}
	names := make([]string, 0, len(r.Claims))
	for k := range r.Claims {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		ps = append(ps, authz.Claim(ClaimPath(k)...).Equals(r.Claims[k]))
	}
	if r.Anonymous {
		if len(ps) > 0 {
			return nil, errors.New("anonymous: true cannot be combined with scopes, roles, permissions, tenant or claims")
		}
		return nil, nil
	}
	switch len(ps) {
	case 0:
		return authz.PolicyFunc(func(_ context.Context, _ *authz.Claims) error { return nil }), nil
	case 1:
		return ps[0], nil
	}
	return authz.All(ps...), nil
}

// ClaimPath splits a claim name as the file writes it: a dotted path
// ("realm_access.roles") walks nested objects, except that a name starting
// with "https://" or "http://" is one namespaced claim, dots and all
// (Auth0's "https://example.com/roles").
func ClaimPath(name string) []string {
	if strings.HasPrefix(name, "https://") || strings.HasPrefix(name, "http://") {
		return []string{name}
	}
	return strings.Split(name, ".")
}
