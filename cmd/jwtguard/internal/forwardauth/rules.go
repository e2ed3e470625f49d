package forwardauth

import (
	"strings"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/cmd/jwtguard/internal/config"
)

// rule is a config.Rule compiled for matching.
type rule struct {
	name      string
	hosts     []string
	methods   []string
	paths     []string
	anonymous bool
	policy    authz.Policy
}

func compileRules(c *config.Config) ([]rule, error) {
	out := make([]rule, 0, len(c.Rules))
	for i, r := range c.Rules {
		p, err := r.Policy()
		if err != nil {
			return nil, err
		}
		name := r.Name
		if name == "" {
			name = c.RuleName(i)
		}
		hosts := make([]string, len(r.Hosts))
		for j, h := range r.Hosts {
			hosts[j] = strings.ToLower(h)
		}
		out = append(out, rule{name: name, hosts: hosts, methods: r.Methods, paths: r.Paths, anonymous: r.Anonymous, policy: p})
	}
	return out, nil
}

// match returns the first rule that matches, or nil. host is lower case
// without a port; path is normalised.
func match(rules []rule, host, method, path string) *rule {
	for i := range rules {
		r := &rules[i]
		if len(r.hosts) > 0 && !anyOf(r.hosts, func(p string) bool { return hostMatch(p, host) }) {
			continue
		}
		if len(r.methods) > 0 && !anyOf(r.methods, func(m string) bool { return m == method }) {
			continue
		}
		if len(r.paths) > 0 && !anyOf(r.paths, func(p string) bool { return pathMatch(p, path) }) {
			continue
		}
		return r
	}
	return nil
}

func anyOf(list []string, f func(string) bool) bool {
	for _, s := range list {
		if f(s) {
			return true
		}
	}
	return false
}

func hostMatch(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+suffix) && len(host) > len(suffix)+1
	}
	return pattern == host
}

// pathMatch matches "*", "/prefix/*" (the prefix and below) and exact
// paths. A pattern's trailing slash is ignored, as normalised paths have
// none.
func pathMatch(pattern, path string) bool {
	if pattern == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "/*"); ok {
		if prefix == "" {
			return true
		}
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	if pattern != "/" {
		pattern = strings.TrimSuffix(pattern, "/")
	}
	return pattern == path
}
