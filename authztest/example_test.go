package authztest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jwtguard/jwtguard/authz"
	"github.com/jwtguard/jwtguard/authztest"
)

// A policy tested without HTTP: NewClaims gives the verified claims a
// handler would see.
func ExampleNewClaims() {
	t := &testing.T{} // in a real test, the *testing.T you are given
	claims := authztest.NewClaims(t, map[string]any{"scope": "read:messages"})

	read := authz.RequireScopes("read:messages")
	write := authz.RequireScopes("write:messages")
	fmt.Println(read.Check(context.Background(), claims) == nil)
	fmt.Println(write.Check(context.Background(), claims) == nil)
	// Output:
	// true
	// false
}
