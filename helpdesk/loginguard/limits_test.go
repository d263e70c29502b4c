package loginguard

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	type step struct {
		advance time.Duration
		key     string
		ok      bool
		retry   time.Duration
	}
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{name: "burst then refused", rate: 1, burst: 3, steps: []step{
			{key: "a", ok: true}, {key: "a", ok: true}, {key: "a", ok: true},
			{key: "a", ok: false, retry: time.Second},
			{key: "b", ok: true}, // keys are independent
		}},
		{name: "refill", rate: 2, burst: 2, steps: []step{
			{key: "a", ok: true}, {key: "a", ok: true},
			{key: "a", ok: false, retry: 500 * time.Millisecond},
			{advance: 200 * time.Millisecond, key: "a", ok: false, retry: 300 * time.Millisecond},
			{advance: 300 * time.Millisecond, key: "a", ok: true},
			{key: "a", ok: false, retry: 500 * time.Millisecond},
			{advance: time.Hour, key: "a", ok: true}, {key: "a", ok: true}, // refills only up to burst
			{key: "a", ok: false, retry: 500 * time.Millisecond},
		}},
		{name: "slow rate", rate: 1.0 / 60, burst: 1, steps: []step{
			{key: "login", ok: true},
			{advance: 10 * time.Second, key: "login", ok: false, retry: 50 * time.Second},
			{advance: 50 * time.Second, key: "login", ok: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := NewLimiter(tt.rate, tt.burst, clock.now)
			for i, s := range tt.steps {
				clock.advance(s.advance)
				ok, retry := l.Allow(s.key)
				require.Equal(t, s.ok, ok, "step %d", i)
				require.InDelta(t, s.retry, retry, float64(time.Millisecond), "step %d", i)
			}
		})
	}
}

func TestLimiterEvictsIdleKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(10, 5, clock.now) // refills completely in 500ms
	for i := range 100 {
		ok, _ := l.Allow(fmt.Sprint("k", i))
		require.True(t, ok)
	}
	require.Equal(t, 100, l.Size())
	clock.advance(499 * time.Millisecond)
	l.Allow("fresh")
	require.Equal(t, 101, l.Size(), "not yet full again: kept")
	clock.advance(time.Millisecond)
	l.Allow("fresh")
	require.Equal(t, 1, l.Size(), "refilled buckets are dropped")
}

func TestLimiterCapsKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(1, 1, clock.now)
	l.MaxKeys = 3
	for _, k := range []string{"a", "b", "c"} {
		ok, _ := l.Allow(k)
		require.True(t, ok)
	}
	ok, _ := l.Allow("a") // a is now the most recently used, and empty
	require.False(t, ok)
	ok, _ = l.Allow("d") // evicts b, the least recently used
	require.True(t, ok)
	require.Equal(t, 3, l.Size())
	ok, _ = l.Allow("a")
	require.False(t, ok, "a was kept")
	ok, _ = l.Allow("b")
	require.True(t, ok, "b was evicted and starts full")
	require.Equal(t, 3, l.Size())
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(1, 50, clock.now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if ok, _ := l.Allow("shared"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
				l.Allow(fmt.Sprint(g, "-", i))
			}
		})
	}
	wg.Wait()
	require.Equal(t, 50, allowed, "exactly the burst, whatever the interleaving")
}

func TestNewLimiterPanicsOnBadConfig(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() { NewLimiter(0, 1, nil) })
	require.Panics(t, func() { NewLimiter(1, 0, nil) })
	require.NotPanics(t, func() { NewLimiter(1, 1, nil).Allow("x") })
}

func TestBlocker(t *testing.T) {
	t.Parallel()
	const ip = "198.51.100.7"
	type step struct {
		advance     time.Duration
		strike      string // reason; "" means no strike, only check
		unblock     bool
		wantBlocked bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "threshold strikes in window block", steps: []step{
			{strike: "failed login"}, {strike: "failed login"},
			{strike: "forged token", wantBlocked: true},
			{advance: 9*time.Minute + 59*time.Second, wantBlocked: true},
			{advance: time.Second, wantBlocked: false}, // block expires after blockFor
		}},
		{name: "strikes outside the window do not add up", steps: []step{
			{strike: "failed login"}, {advance: 30 * time.Second, strike: "failed login"},
			{advance: 31 * time.Second, strike: "failed login"},                    // first strike left the 1m window
			{advance: 20 * time.Second, strike: "failed login", wantBlocked: true}, // 30s, 61s, 81s
		}},
		{name: "after expiry the count starts again", steps: []step{
			{strike: "a"}, {strike: "a"}, {strike: "a", wantBlocked: true},
			{advance: 10 * time.Minute},
			{strike: "a"}, {strike: "a"},
			{strike: "a", wantBlocked: true},
		}},
		{name: "strikes while blocked do not extend it", steps: []step{
			{strike: "a"}, {strike: "a"}, {strike: "a", wantBlocked: true},
			{advance: 5 * time.Minute, strike: "a", wantBlocked: true},
			{advance: 5 * time.Minute, wantBlocked: false},
		}},
		{name: "unblock", steps: []step{
			{strike: "a"}, {strike: "a"}, {strike: "a", wantBlocked: true},
			{unblock: true},
			{strike: "a"}, {strike: "a"}, // strikes were forgotten too
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			b := NewBlocker(3, time.Minute, 10*time.Minute, clock.now)
			for i, s := range tt.steps {
				clock.advance(s.advance)
				if s.unblock {
					b.Unblock(ip)
				}
				if s.strike != "" {
					b.Strike(ip, s.strike)
				}
				blocked, until := b.Blocked(ip)
				require.Equal(t, s.wantBlocked, blocked, "step %d", i)
				if blocked {
					require.True(t, until.After(clock.now()))
				} else {
					require.True(t, until.IsZero())
				}
				require.False(t, mustBlocked(b, "203.0.113.1"), "other addresses are unaffected")
			}
		})
	}
}

func mustBlocked(b *Blocker, ip string) bool {
	blocked, _ := b.Blocked(ip)
	return blocked
}

func TestBlockerList(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := NewBlocker(2, time.Minute, time.Hour, clock.now)
	require.Equal(t, []BlockedIP{}, b.List())
	b.Strike("10.0.0.2", "failed login")
	b.Strike("10.0.0.2", "forged token")
	b.Strike("10.0.0.9", "failed login") // one strike: not blocked
	clock.advance(time.Minute)
	b.Strike("10.0.0.1", "failed login")
	b.Strike("10.0.0.1", "failed login")
	b.Strike("10.0.0.1", "failed login") // while blocked
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	require.Equal(t, []BlockedIP{
		{IP: "10.0.0.1", Until: start.Add(time.Minute + time.Hour), Reason: "failed login", Strikes: 3},
		{IP: "10.0.0.2", Until: start.Add(time.Hour), Reason: "forged token", Strikes: 2},
	}, b.List())
	clock.advance(59 * time.Minute)
	require.Equal(t, []string{"10.0.0.1"}, blockedIPs(b.List()))

	enc, err := json.Marshal(b.List()[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"ip":"10.0.0.1","until":"2026-03-02T10:01:00Z","reason":"failed login","strikes":3}`, string(enc))
}

func blockedIPs(list []BlockedIP) []string {
	out := []string{}
	for _, b := range list {
		out = append(out, b.IP)
	}
	return out
}

func TestBlockerBoundsMemory(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := NewBlocker(2, time.Minute, time.Hour, clock.now)
	b.MaxKeys = 4
	b.Strike("blocked-1", "x")
	b.Strike("blocked-1", "x")
	b.Strike("blocked-2", "x")
	b.Strike("blocked-2", "x")
	for i := range 50 {
		b.Strike(fmt.Sprint("spray-", i), "x")
		require.LessOrEqual(t, len(b.entries), 4)
	}
	require.Equal(t, []string{"blocked-1", "blocked-2"}, blockedIPs(b.List()), "blocks survive a spray of strikes")
	b.Strike("blocked-3", "x")
	b.Strike("blocked-3", "x")
	b.Strike("blocked-4", "x")
	b.Strike("blocked-4", "x")
	b.Strike("extra", "x") // everything is blocked: the strike is dropped
	require.Len(t, b.entries, 4)
	clock.advance(time.Hour)
	b.Strike("after", "x") // expired entries are swept
	require.Len(t, b.entries, 1)

	// Strike times per address are bounded by the threshold.
	b2 := NewBlocker(3, time.Hour, time.Minute, clock.now)
	for range 2 {
		b2.Strike("a", "x")
	}
	require.LessOrEqual(t, len(b2.entries["a"].strikes), 3)
}

func TestBlockerConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := NewBlocker(100, time.Minute, time.Hour, clock.now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				b.Strike("a", "x")
				b.Blocked("a")
				b.List()
			}
		})
	}
	wg.Wait()
	require.Equal(t, []BlockedIP{{IP: "a", Until: clock.now().Add(time.Hour), Reason: "x", Strikes: 200}}, b.List())
}

func TestNewBlockerPanicsOnBadConfig(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() { NewBlocker(0, time.Minute, time.Minute, nil) })
	require.Panics(t, func() { NewBlocker(1, 0, time.Minute, nil) })
	require.Panics(t, func() { NewBlocker(1, time.Minute, 0, nil) })
}

func TestGuardAllowLogin(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	g, err := New(Config{AccountRate: 1.0 / 60, AccountBurst: 2, IPRate: 1, IPBurst: 2, BlockThreshold: 2, Now: clock.now})
	require.NoError(t, err)
	tests := []struct {
		ip, email string
		ok        bool
		scope     Scope
	}{
		{"192.0.2.1", "ana@example.com", true, ""},
		{"192.0.2.2", "ana@example.com", true, ""},
		{"192.0.2.3", "ana@example.com", false, ScopeAccount},
		{"192.0.2.1", "bia@example.com", true, ""},
		{"192.0.2.1", "caio@example.com", false, ScopeIP},
	}
	for i, tt := range tests {
		ok, scope, retry := g.AllowLogin(tt.ip, tt.email)
		require.Equal(t, tt.ok, ok, "attempt %d", i)
		require.Equal(t, tt.scope, scope, "attempt %d", i)
		require.Equal(t, !tt.ok, retry > 0, "attempt %d", i)
	}
	blocked, _ := g.Strike("192.0.2.9", "failed login")
	require.False(t, blocked)
	blocked, until := g.Strike("192.0.2.9", "failed login")
	require.True(t, blocked)
	require.Equal(t, clock.now().Add(15*time.Minute), until)
	isBlocked, left := g.Blocked("192.0.2.9")
	require.True(t, isBlocked)
	require.Equal(t, 15*time.Minute, left)
	require.Len(t, g.Blocks().List(), 1)
}
