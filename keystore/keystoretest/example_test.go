package keystoretest_test

import (
	"fmt"

	"github.com/jwtguard/jwtguard/keystore/keystoretest"
	"github.com/jwtguard/jwtguard/keystore/memory"
)

func ExampleTestStore() {
	// In a Go test, call keystoretest.Run(t, newStore) instead, to see each
	// behaviour as a subtest.
	err := keystoretest.TestStore(memory.New())
	fmt.Println(err)
	// Output:
	// <nil>
}
