// Package keystoretest is a conformance suite for keystore.Store
// implementations, in the manner of testing/slogtest.
//
// Run runs every behaviour as a subtest of a Go test, so that all violations
// are reported at once:
//
//	func TestConformance(t *testing.T) {
//		keystoretest.Run(t, func(t *testing.T) keystore.Store {
//			return mystore.New(...)
//		})
//	}
//
// TestStore runs the same behaviours outside a Go test and returns every
// violation joined into one error.
//
// The suite checks the contract written on keystore.Store: misses, round
// trips, overwrites, copies in and out, deletes, time to live, context
// cancellation, concurrent use under the race detector, large and binary
// values, and keys with unusual characters. When the store also implements
// keystore.Locker (and keystore.LockInspector), keystore.Notifier or
// keystore.Pinger, the suite checks
// those too; otherwise their subtests are skipped.
//
// The suite uses the real clock: the time-to-live checks write values that
// live 100 ms and poll, with a deadline, until they are gone, and the whole
// suite takes about a second against a local store. Every behaviour writes
// under keys of its own, beginning with "keystoretest/" and a random part, so
// a store shared with other data or other runs is safe to use; the suite
// deletes what it writes, except for values that expire by themselves.
package keystoretest
