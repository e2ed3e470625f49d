// Package e2e holds the end-to-end tests of jwtguard serve behind a real
// nginx (auth_request) and a real Caddy (forward_auth), and the load test.
// It has no code of its own.
//
// The tests start Debian's nginx and caddy binaries as child processes on
// free loopback ports, with configurations generated in a temporary
// directory; a test skips, naming the binary, when one is not installed
// (apt-get install nginx caddy). The load test runs only with
// JWTGUARD_LOAD=1.
package e2e
