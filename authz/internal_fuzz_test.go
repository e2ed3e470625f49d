package authz

import (
	"encoding/json"
	"testing"
)

// FuzzClaims: claim decoding never panics on arbitrary JSON.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"x","aud":["a"],"exp":1,"nbf":2,"iat":3,"scope":"a b","scp":["c"],"permissions":["d"]}`))
	f.Add([]byte(`{"aud":5,"exp":"1","scope":7}`))
	f.Add([]byte(`{"exp":1e400,"nbf":-1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rc rawClaims
		if json.Unmarshal(data, &rc) != nil {
			return
		}
		c := &Claims{raw: data}
		_ = c.collectScopes(&rc, []string{"scope", "scp", "scopes", "permissions", "roles"})
		_, _ = c.Lookup("a", "b")
	})
}
