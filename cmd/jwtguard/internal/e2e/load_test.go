package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestLoad measures decisions per second and latency through a real nginx
// on loopback: nginx serving the upstream alone, then nginx asking the
// authorizer with and without the verified-token cache. It runs only with
// JWTGUARD_LOAD=1; JWTGUARD_LOAD_SECONDS (5) and JWTGUARD_LOAD_CONCURRENCY
// (16) tune it. Every loop is bounded by its duration.
//
//	JWTGUARD_LOAD=1 go test -run TestLoad -v ./internal/e2e/
func TestLoad(t *testing.T) {
	if os.Getenv("JWTGUARD_LOAD") != "1" {
		t.Skip("load test: set JWTGUARD_LOAD=1 to run it")
	}
	secs := envInt("JWTGUARD_LOAD_SECONDS", 5)
	conc := envInt("JWTGUARD_LOAD_CONCURRENCY", 16)
	e := startEnv(t, true)
	noCache := e.startAuthorizer(t, false)
	base := startNginx(t, e, extraAuthz{Name: "nocache", Addr: noCache})
	tok := e.token(t, "read:messages")

	scenarios := []struct{ name, path, token string }{
		{"nginx → upstream (no auth)", "/direct/api/messages", ""},
		{"nginx → jwtguard (token cache) → upstream", "/api/messages", tok},
		{"nginx → jwtguard (no token cache) → upstream", "/nocache/api/messages", tok},
	}
	fmt.Printf("\n%d s per row, %d concurrent keep-alive clients, GOMAXPROCS %d, %s/%s\n\n", secs, conc, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Println("| path | requests/s | p50 | p99 | errors |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	for _, s := range scenarios {
		r := hammer(t, base+s.path, s.token, conc, time.Duration(secs)*time.Second)
		fmt.Printf("| %s | %.0f | %s | %s | %d |\n", s.name, r.rps, r.p50, r.p99, r.errors)
		if r.errors > 0 {
			t.Errorf("%s: %d errors", s.name, r.errors)
		}
	}
}

type loadResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

// hammer sends GET url from conc clients for d, and measures.
func hammer(t *testing.T, url, token string, conc int, d time.Duration) loadResult {
	tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	// Warm up: connections, keys, the token cache.
	for i := 0; i < 50; i++ {
		one(client, url, token)
	}
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if !one(client, url, token) {
					bad++
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))].Round(time.Microsecond)
	}
	return loadResult{rps: float64(len(all)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99), errors: errs}
}

func one(c *http.Client, url, token string) bool {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == 200
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
