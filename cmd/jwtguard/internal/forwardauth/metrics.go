package forwardauth

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtguard/jwtguard/authz"
)

// PathMetrics serves the metrics in the Prometheus text format.
const PathMetrics = "/metrics"

// durationBuckets are the upper bounds, in seconds, of the decision
// latency histogram.
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5}

// metrics counts decisions without a client library: a few counters and
// one histogram, written in the Prometheus text exposition format.
type metrics struct {
	decisions sync.Map         // decisionKey → *atomic.Uint64
	rejected  sync.Map         // rejectKey → *atomic.Uint64
	storeErrs [2]atomic.Uint64 // storeOps
	buckets   []atomic.Uint64
	count     atomic.Uint64
	sumMicros atomic.Uint64
}

type decisionKey struct{ endpoint, status, reason string }

type rejectKey struct{ issuer, reason string }

func newMetrics() *metrics {
	return &metrics{buckets: make([]atomic.Uint64, len(durationBuckets))}
}

// observe counts one decision. reason is cut to its code (the text before
// ": "), so that labels stay few.
func (m *metrics) observe(endpoint string, status int, reason string, took time.Duration) {
	if i := strings.Index(reason, ":"); i >= 0 {
		reason = reason[:i]
	}
	k := decisionKey{endpoint, fmt.Sprint(status), reason}
	c, ok := m.decisions.Load(k)
	if !ok {
		c, _ = m.decisions.LoadOrStore(k, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
	s := took.Seconds()
	for i, le := range durationBuckets {
		if s <= le {
			m.buckets[i].Add(1)
		}
	}
	m.count.Add(1)
	m.sumMicros.Add(uint64(took.Microseconds()))
}

// storeRejected counts a document read from the key store and refused
// (authz.Hooks.StoreRejected): someone writes the store, or the secrets of
// the authorizers sharing it differ.
func (m *metrics) storeRejected(r authz.StoreRejection) {
	k := rejectKey{r.Issuer, r.Reason}
	c, ok := m.rejected.Load(k)
	if !ok {
		c, _ = m.rejected.LoadOrStore(k, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
}

// storeOps are the op labels of jwtguard_store_errors_total.
var storeOps = [2]string{"dial", "command"}

// storeError counts a failed dial or command of the Redis client.
func (m *metrics) storeError(op string) {
	for i, o := range storeOps {
		if o == op {
			m.storeErrs[i].Add(1)
		}
	}
}

func (a *Authorizer) serveMetrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := a.metrics
	var rows []string
	m.decisions.Range(func(k, v any) bool {
		d := k.(decisionKey)
		rows = append(rows, fmt.Sprintf("jwtguard_decisions_total{endpoint=%q,status=%q,reason=%q} %d", d.endpoint, d.status, d.reason, v.(*atomic.Uint64).Load()))
		return true
	})
	slices.Sort(rows)
	io.WriteString(w, "# HELP jwtguard_decisions_total Forward-auth decisions by endpoint, status and reason code.\n# TYPE jwtguard_decisions_total counter\n")
	for _, r := range rows {
		io.WriteString(w, r+"\n")
	}
	io.WriteString(w, "# HELP jwtguard_decision_duration_seconds Time to decide one request.\n# TYPE jwtguard_decision_duration_seconds histogram\n")
	for i, le := range durationBuckets {
		fmt.Fprintf(w, "jwtguard_decision_duration_seconds_bucket{le=\"%g\"} %d\n", le, m.buckets[i].Load())
	}
	n := m.count.Load()
	fmt.Fprintf(w, "jwtguard_decision_duration_seconds_bucket{le=\"+Inf\"} %d\n", n)
	fmt.Fprintf(w, "jwtguard_decision_duration_seconds_sum %g\n", float64(m.sumMicros.Load())/1e6)
	fmt.Fprintf(w, "jwtguard_decision_duration_seconds_count %d\n", n)

	st := a.state.Load()
	io.WriteString(w, "# HELP jwtguard_issuer_keys Usable keys held per issuer (0: none, requests for it get 503).\n# TYPE jwtguard_issuer_keys gauge\n")
	io.WriteString(w, "# HELP jwtguard_issuer_keys_expiry_seconds Seconds until the issuer's keys stop being fresh (negative: serving stale).\n# TYPE jwtguard_issuer_keys_expiry_seconds gauge\n")
	now := time.Now()
	for _, s := range st.v.Status() {
		fmt.Fprintf(w, "jwtguard_issuer_keys{issuer=%q} %d\n", s.Name, s.Keys)
		if !s.ExpiresAt.IsZero() {
			fmt.Fprintf(w, "jwtguard_issuer_keys_expiry_seconds{issuer=%q} %g\n", s.Name, math.Round(s.ExpiresAt.Sub(now).Seconds()))
		}
	}
	rows = rows[:0]
	m.rejected.Range(func(k, v any) bool {
		r := k.(rejectKey)
		rows = append(rows, fmt.Sprintf("jwtguard_store_rejected_documents_total{issuer=%q,reason=%q} %d", r.issuer, r.reason, v.(*atomic.Uint64).Load()))
		return true
	})
	slices.Sort(rows)
	io.WriteString(w, "# HELP jwtguard_store_rejected_documents_total Documents read from the key store and refused (bad MAC, another issuer's, out of bounds).\n# TYPE jwtguard_store_rejected_documents_total counter\n")
	for _, r := range rows {
		io.WriteString(w, r+"\n")
	}
	io.WriteString(w, "# HELP jwtguard_store_errors_total Failed dials and commands of the Redis key store's client (refused password or ACL, timeout, connection); a miss is not one.\n# TYPE jwtguard_store_errors_total counter\n")
	for i, op := range storeOps {
		fmt.Fprintf(w, "jwtguard_store_errors_total{op=%q} %d\n", op, m.storeErrs[i].Load())
	}
	hits, misses := st.v.TokenCacheStats()
	io.WriteString(w, "# HELP jwtguard_token_cache_requests_total Verified-token cache lookups since the last reload.\n# TYPE jwtguard_token_cache_requests_total counter\n")
	fmt.Fprintf(w, "jwtguard_token_cache_requests_total{result=\"hit\"} %d\njwtguard_token_cache_requests_total{result=\"miss\"} %d\n", hits, misses)
}
