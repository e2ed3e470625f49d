package keyring

import (
	"errors"
	"testing"
	"time"
)

// TestGate drives the gate's decisions with a fake clock: no sleeps.
func TestGate(t *testing.T) {
	const cooldown = 5 * time.Second
	t0 := time.Unix(1_700_000_000, 0)
	boom := errors.New("idp down")
	type step struct {
		at   time.Duration // since t0
		do   func(g *gate, now time.Time)
		want Decision
	}
	started := func(g *gate, now time.Time) { g.kidStarted(now) }
	done := func(o outcome, err error) func(g *gate, now time.Time) {
		return func(g *gate, now time.Time) { g.kidDone(o, err, time.Time{}) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "first unknown kid refreshes", steps: []step{{at: 0, want: Refresh}}},
		{name: "consulted: unknown within the cooldown, refresh after", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: 0, do: done(consulted, nil), want: Unknown},
			{at: cooldown - time.Millisecond, want: Unknown},
			{at: cooldown, want: Refresh},
		}},
		{name: "a kid published 1s after being missed is looked up at the cooldown's end", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: 0, do: done(consulted, nil), want: Unknown},
			{at: time.Second, want: Unknown},
			{at: cooldown, want: Refresh},
		}},
		{name: "failed: unavailable within the cooldown, never unknown", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: 0, do: done(failed, boom), want: Unavailable},
			{at: 4 * time.Second, want: Unavailable},
			{at: cooldown, want: Refresh},
		}},
		{name: "not consulted: unavailable, not remembered past the cooldown", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: time.Second, do: done(unconsulted, errNotConsulted), want: Unavailable},
			{at: cooldown, want: Refresh},
		}},
		{name: "a new key set forgets a failure", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: 0, do: done(failed, boom), want: Unavailable},
			{at: time.Second, do: func(g *gate, _ time.Time) { g.newSet() }, want: Unknown},
			{at: cooldown, want: Refresh},
		}},
		{name: "a longer fleet cooldown extends ours", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: 0, do: func(g *gate, now time.Time) { g.kidDone(consulted, nil, now.Add(2*cooldown)) }, want: Unknown},
			{at: cooldown, want: Unknown},
			{at: 2 * cooldown, want: Refresh},
		}},
		{name: "a shorter fleet cooldown does not shorten ours", steps: []step{
			{at: 0, do: started, want: Unavailable}, // in flight: callers join it
			{at: 0, do: func(g *gate, now time.Time) { g.kidDone(consulted, nil, now.Add(time.Second)) }, want: Unknown},
			{at: 2 * time.Second, want: Unknown},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{cooldown: cooldown, retryMin: time.Second, retryMax: time.Minute}
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.do != nil {
					s.do(g, now)
				}
				got, err := g.unknownKid(now)
				if got != s.want {
					t.Fatalf("step %d (t+%v): decision %v, want %v", i, s.at, got, s.want)
				}
				if (got == Unavailable) != (err != nil) {
					t.Fatalf("step %d: decision %v with cause %v", i, got, err)
				}
			}
		})
	}
}

// TestGateBackoff: failed fetches back off exponentially within
// [RetryMin, RetryMax] on the injected clock; a success clears it.
func TestGateBackoff(t *testing.T) {
	g := &gate{cooldown: time.Second, retryMin: time.Second, retryMax: 4 * time.Second}
	t0 := time.Unix(1_700_000_000, 0)
	boom := errors.New("boom")
	tests := []struct {
		fail      bool
		at        time.Duration
		wantAfter time.Duration // back-off after this fetch
	}{
		{fail: true, at: 0, wantAfter: time.Second},
		{fail: true, at: time.Second, wantAfter: 2 * time.Second},
		{fail: true, at: 3 * time.Second, wantAfter: 4 * time.Second},
		{fail: true, at: 7 * time.Second, wantAfter: 4 * time.Second}, // capped
		{fail: false, at: 11 * time.Second},
	}
	for i, tt := range tests {
		now := t0.Add(tt.at)
		if ok, _ := g.mayFetch(now); !ok {
			t.Fatalf("fetch %d at t+%v: still backing off", i, tt.at)
		}
		var err error
		if tt.fail {
			err = boom
		}
		g.fetched(now, err)
		if tt.wantAfter == 0 {
			if ok, err := g.mayFetch(now); !ok || err != nil {
				t.Fatalf("after a success: mayFetch = %v, %v", ok, err)
			}
			continue
		}
		if ok, err := g.mayFetch(now.Add(tt.wantAfter - time.Millisecond)); ok || !errors.Is(err, boom) {
			t.Fatalf("fetch %d: mayFetch just before %v = %v, %v; want false, the last error", i, tt.wantAfter, ok, err)
		}
		if ok, _ := g.mayFetch(now.Add(tt.wantAfter)); !ok {
			t.Fatalf("fetch %d: mayFetch at %v = false", i, tt.wantAfter)
		}
	}
}
