package keystoretest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Faults of the keystore.Adder capability.
const (
	addAlwaysTrue   fault = 100 + iota // Add never reports a held key
	addNeverExpires                    // Add ignores ttl
	addSharesDocs                      // Add marks and documents share one namespace
	addZeroTTLOK                       // Add accepts ttl <= 0
)

func (s *fakeStore) Add(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if ttl <= 0 && s.fault != addZeroTTLOK {
		return false, errors.New("fake: ttl not positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.fault == addSharesDocs {
		if e, ok := s.docs[key]; ok && (e.expires.IsZero() || now.Before(e.expires)) {
			return false, nil
		}
		s.docs[key] = fakeEntry{v: []byte{}, expires: now.Add(ttl)}
		return true, nil
	}
	if s.seen == nil {
		s.seen = map[string]time.Time{}
	}
	if until, ok := s.seen[key]; ok && now.Before(until) && s.fault != addAlwaysTrue {
		return false, nil
	}
	if s.fault == addNeverExpires {
		ttl = time.Hour
	}
	s.seen[key] = now.Add(ttl)
	return true, nil
}

// TestSuiteCatchesAdderFaults checks the keystore.Adder behaviours.
func TestSuiteCatchesAdderFaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault fault
		want  []string
	}{
		{"addAlwaysTrue", addAlwaysTrue, []string{"AddOnce", "AddConcurrent", "AddExpires", "AddSeparateFromDocuments"}},
		{"addNeverExpires", addNeverExpires, []string{"AddExpires"}},
		{"addSharesDocs", addSharesDocs, []string{"AddSeparateFromDocuments"}},
		{"addZeroTTLOK", addZeroTTLOK, []string{"AddTTLNotPositive"}},
		{"ignoreCtx", ignoreCtx, []string{"AddCanceledContext"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := map[string]bool{}
			for _, n := range tt.want {
				want[n] = true
			}
			got := map[string]bool{}
			for _, err := range runBehaviours(newFake(tt.fault), func(name string) bool { return want[name] }) {
				name, _, _ := strings.Cut(err.Error(), ":")
				got[name] = true
			}
			for _, n := range tt.want {
				if !got[n] {
					t.Errorf("%s did not report fault %s", n, tt.name)
				}
			}
		})
	}
}
