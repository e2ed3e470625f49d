package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

var _ keystore.Adder = (*Store)(nil)

// Add marks key as seen for ttl unless it is already; see keystore.Adder.
// Like locks, marks are local to this Store.
func (s *Store) Add(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, opError("add", key, err)
	}
	if ttl <= 0 {
		return false, opError("add", key, fmt.Errorf("ttl %v is not positive", ttl))
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[string]time.Time)
	}
	if until, ok := s.seen[key]; ok && now.Before(until) {
		return false, nil
	}
	s.seen[key] = now.Add(ttl)
	if len(s.seen) >= max(s.seenSwp, minSweep) {
		for k, until := range s.seen {
			if !now.Before(until) {
				delete(s.seen, k)
			}
		}
		s.seenSwp = max(2*len(s.seen), minSweep)
	}
	return true, nil
}
