package authz

import (
	"slices"
	"strings"
	"testing"
)

// FuzzScopeGrants checks ScopeMatching.Grants against a plain restatement
// of each strategy's rule.
func FuzzScopeGrants(f *testing.F) {
	for _, s := range [][2]string{
		{"read", "read:messages"}, {"read", "readonly"}, {"messages:*", "messages:read"},
		{"messages:*", "messages"}, {"*", "x"}, {":*", ":x"}, {"", ""}, {"a:*", "a:"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, g, r string) {
		exact := g != "" && g == r
		hier := exact || (g != "" && strings.HasPrefix(r, g+":"))
		prefix, isWild := strings.CutSuffix(g, ":*")
		wild := exact || (isWild && prefix != "" && len(r) > len(prefix)+1 && strings.HasPrefix(r, prefix+":"))
		for m, want := range map[ScopeMatching]bool{0: exact, Exact: exact, Hierarchic: hier, Wildcard: wild} {
			if got := m.Grants(g, r); got != want {
				t.Fatalf("%v.Grants(%q, %q) = %v, want %v", m, g, r, got, want)
			}
		}
	})
}

// FuzzHasWord checks the allocation-free word scan against strings.Fields
// (for ASCII input, where both agree on what white space is).
func FuzzHasWord(f *testing.F) {
	f.Add("user admin", "admin")
	f.Add("  a\tb\n", "b")
	f.Add("administrator", "admin")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, s, v string) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return
			}
		}
		want := slices.Contains(strings.Fields(s), v)
		if got := hasWord(s, v); got != want {
			t.Fatalf("hasWord(%q, %q) = %v, want %v", s, v, got, want)
		}
	})
}

// FuzzClaimPath checks that ClaimPath either panics or selects the dotted
// path's elements, all non-empty.
func FuzzClaimPath(f *testing.F) {
	f.Add("realm_access.roles")
	f.Add("a..b")
	f.Add("")
	f.Add("https://example.com/roles")
	f.Fuzz(func(t *testing.T, path string) {
		parts := strings.Split(path, ".")
		valid := !slices.Contains(parts, "")
		defer func() {
			if r := recover(); (r != nil) == valid {
				t.Fatalf("ClaimPath(%q): panic %v, valid %v", path, r, valid)
			}
		}()
		s := ClaimPath(path)
		if !slices.Equal(s.path, parts) {
			t.Fatalf("ClaimPath(%q) = %q, want %q", path, s.path, parts)
		}
	})
}
