package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtguard/jwtguard/keystore"
)

var _ keystore.Adder = (*Store)(nil)

// seenSegment separates Add's marks from documents and locks.
const seenSegment = "seen:"

// Add marks key as seen for ttl unless it is already, in one round trip
// (SET NX PX): of concurrent Adds of one key, from any process sharing the
// Redis, exactly one succeeds. See keystore.Adder.
func (s *Store) Add(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, opError("add", key, fmt.Errorf("ttl %v is not positive", ttl))
	}
	ttl = ceilMillisecond(ttl)
	k := s.prefix + seenSegment + key
	added, err := call(s, ctx, func(ctx context.Context) (bool, error) {
		return s.client.SetNX(ctx, k, "1", ttl).Result()
	})
	if err != nil {
		return false, opError("add", key, err)
	}
	return added, nil
}
