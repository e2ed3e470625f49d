// Package redistest holds the helpers of the tests that need Redis, for
// keystore/redisstore and internal/fleettest: a real Redis (REDIS_ADDR, or
// a throwaway redis-server), servers of a test's own, and a silent one.
package redistest

import (
	"net"
	"sync"
	"testing"
)

// SilentServer accepts connections and reads from them but never answers,
// like a hung Redis. It returns its address and stops when t ends.
func SilentServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}
