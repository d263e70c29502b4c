package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

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
			b := newBlocker(3, time.Minute, 10*time.Minute, clock.now)
			for i, s := range tt.steps {
				clock.advance(s.advance)
				if s.unblock {
					b.unblock(ip)
				}
				if s.strike != "" {
					b.strike(ip, s.strike)
				}
				blocked, until := b.blocked(ip)
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

func mustBlocked(b *blocker, ip string) bool {
	blocked, _ := b.blocked(ip)
	return blocked
}

func TestBlockerList(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := newBlocker(2, time.Minute, time.Hour, clock.now)
	require.Equal(t, []BlockedIP{}, b.list())
	b.strike("10.0.0.2", "failed login")
	b.strike("10.0.0.2", "forged token")
	b.strike("10.0.0.9", "failed login") // one strike: not blocked
	clock.advance(time.Minute)
	b.strike("10.0.0.1", "failed login")
	b.strike("10.0.0.1", "failed login")
	b.strike("10.0.0.1", "failed login") // while blocked
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	require.Equal(t, []BlockedIP{
		{IP: "10.0.0.1", Until: start.Add(time.Minute + time.Hour), Reason: "failed login", Strikes: 3},
		{IP: "10.0.0.2", Until: start.Add(time.Hour), Reason: "forged token", Strikes: 2},
	}, b.list())
	clock.advance(59 * time.Minute)
	require.Equal(t, []string{"10.0.0.1"}, blockedIPs(b.list()))

	enc, err := json.Marshal(b.list()[0])
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
	b := newBlocker(2, time.Minute, time.Hour, clock.now)
	b.maxKeys = 4
	b.strike("blocked-1", "x")
	b.strike("blocked-1", "x")
	b.strike("blocked-2", "x")
	b.strike("blocked-2", "x")
	for i := range 50 {
		b.strike(fmt.Sprint("spray-", i), "x")
		require.LessOrEqual(t, len(b.entries), 4)
	}
	require.Equal(t, []string{"blocked-1", "blocked-2"}, blockedIPs(b.list()), "blocks survive a spray of strikes")
	b.strike("blocked-3", "x")
	b.strike("blocked-3", "x")
	b.strike("blocked-4", "x")
	b.strike("blocked-4", "x")
	b.strike("extra", "x") // everything is blocked: the strike is dropped
	require.Len(t, b.entries, 4)
	clock.advance(time.Hour)
	b.strike("after", "x") // expired entries are swept
	require.Len(t, b.entries, 1)

	// Strike times per address are bounded by the threshold.
	b2 := newBlocker(3, time.Hour, time.Minute, clock.now)
	for range 2 {
		b2.strike("a", "x")
	}
	require.LessOrEqual(t, len(b2.entries["a"].strikes), 3)
}

func TestBlockerConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := newBlocker(100, time.Minute, time.Hour, clock.now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				b.strike("a", "x")
				b.blocked("a")
				b.list()
			}
		})
	}
	wg.Wait()
	require.Equal(t, []BlockedIP{{IP: "a", Until: clock.now().Add(time.Hour), Reason: "x", Strikes: 200}}, b.list())
}

func TestNewBlockerPanicsOnBadConfig(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() { newBlocker(0, time.Minute, time.Minute, nil) })
	require.Panics(t, func() { newBlocker(1, 0, time.Minute, nil) })
	require.Panics(t, func() { newBlocker(1, time.Minute, 0, nil) })
}

func TestBlockIPsMiddleware(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := newBlocker(1, time.Minute, 90*time.Second+500*time.Millisecond, clock.now)
	h := blockIPs(b, remoteIP)(okHandler())
	do := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/helpdesk/tickets", nil)
		r.RemoteAddr = "192.0.2.50:4444"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, http.StatusOK, do().Code)
	b.strike("192.0.2.50", "forged token")
	w := do()
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, "91", w.Header().Get("Retry-After"))
	require.Contains(t, w.Body.String(), ProblemTypeBase+"blocked")
	require.Contains(t, w.Body.String(), "temporarily blocked")
	clock.advance(91 * time.Second)
	require.Equal(t, http.StatusOK, do().Code)
}
