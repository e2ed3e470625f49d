package forwardauth

import "testing"

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		raw, want string
		wantErr   bool
	}{
		{raw: "/", want: "/"},
		{raw: "/api/messages?x=1", want: "/api/messages"},
		{raw: "/api/messages/", want: "/api/messages"},
		{raw: "//api///messages", want: "/api/messages"},
		{raw: "/public/../admin", want: "/admin"},
		{raw: "/public/%2e%2e/admin", want: "/admin"},
		{raw: "/public/%2E%2E/admin", want: "/admin"},
		{raw: "/public/./x", want: "/public/x"},
		{raw: "/a%20b", want: "/a b"},
		{raw: "/caf%C3%A9", want: "/café"},
		{raw: "/..", wantErr: true},
		{raw: "/a/../../b", wantErr: true},
		{raw: "/%2e%2e/admin", wantErr: true},
		{raw: "/public%2F..%2Fadmin", wantErr: true},
		{raw: "/public%2fadmin", wantErr: true},
		{raw: "/public%5c..%5cadmin", wantErr: true},
		{raw: `/public\..\admin`, wantErr: true},
		{raw: "/admin;jsessionid=1", wantErr: true},
		{raw: "/%252e%252e/admin", wantErr: true},
		{raw: "/a%00b", wantErr: true},
		{raw: "/a%0ab", wantErr: true},
		{raw: "/a%zz", wantErr: true},
		{raw: "/a%2", wantErr: true},
		{raw: "admin", wantErr: true},
		{raw: "", wantErr: true},
		{raw: "http://evil/admin", wantErr: true},
	}
	for _, tt := range tests {
		got, err := NormalizePath(tt.raw)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizePath(%q) = %q, %v; want %q, error %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2e/x", "//a//b/", "/a;b", "/a%2fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := NormalizePath(raw)
		if err != nil {
			return
		}
		// A normalised path is a fixed point, and holds no dot segment or
		// empty segment.
		if q, err := NormalizePath(p); err != nil && !containsPercent(p) || err == nil && q != p && !containsPercent(p) {
			t.Fatalf("NormalizePath(%q) = %q, then %q, %v", raw, p, q, err)
		}
		if p[0] != '/' || len(p) > 1 && p[len(p)-1] == '/' {
			t.Fatalf("NormalizePath(%q) = %q", raw, p)
		}
		for _, seg := range splitSegs(p) {
			if seg == "." || seg == ".." || seg == "" && p != "/" {
				t.Fatalf("NormalizePath(%q) = %q holds segment %q", raw, p, seg)
			}
		}
	})
}

func containsPercent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '?' || s[i] == '#' {
			return true
		}
	}
	return false
}

func splitSegs(p string) []string {
	var out []string
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func TestMatch(t *testing.T) {
	rules := []rule{
		{name: "health", paths: []string{"/healthz"}, anonymous: true},
		{name: "admin", hosts: []string{"admin.example.com"}, paths: []string{"/*"}},
		{name: "api-read", methods: []string{"GET", "HEAD"}, paths: []string{"/api/*"}},
		{name: "tenant", hosts: []string{"*.tenants.example.com"}},
	}
	tests := []struct {
		host, method, path, want string
	}{
		{"x", "GET", "/healthz", "health"},
		{"x", "GET", "/healthz/x", ""},
		{"admin.example.com", "POST", "/anything", "admin"},
		{"x", "GET", "/api", "api-read"},
		{"x", "GET", "/api/messages", "api-read"},
		{"x", "GET", "/apix", ""},
		{"x", "POST", "/api/messages", ""},
		{"a.tenants.example.com", "DELETE", "/z", "tenant"},
		{"tenants.example.com", "DELETE", "/z", ""},
	}
	for _, tt := range tests {
		got := ""
		if r := match(rules, tt.host, tt.method, tt.path); r != nil {
			got = r.name
		}
		if got != tt.want {
			t.Errorf("match(%s %s %s) = %q, want %q", tt.host, tt.method, tt.path, got, tt.want)
		}
	}
}
