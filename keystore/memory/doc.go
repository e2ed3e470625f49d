// Package memory provides an in-process keystore.Store, jwtguard's default.
//
// A Store keeps documents in a map guarded by a read-write mutex: a Get on a
// hit is one map read under a read lock plus a copy of the value. It also
// implements keystore.Locker (locks local to the process), keystore.Notifier
// (announcements delivered to subscribers in the same process) and
// keystore.Pinger (always healthy).
//
// Expired entries are never returned. They are removed lazily: when a Get
// finds one, and by a sweep that runs whenever the number of entries has
// doubled since the last sweep, so the map never holds more than twice the
// largest number of live entries, or a few hundred entries, whichever is more. No background goroutine runs, and a
// Store needs no closing. Use WithClock to inject a clock in tests.
package memory
