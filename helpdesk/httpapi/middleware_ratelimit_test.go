package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
			l := newLimiter(tt.rate, tt.burst, clock.now)
			for i, s := range tt.steps {
				clock.advance(s.advance)
				ok, retry := l.allow(s.key)
				require.Equal(t, s.ok, ok, "step %d", i)
				require.InDelta(t, s.retry, retry, float64(time.Millisecond), "step %d", i)
			}
		})
	}
}

func TestLimiterEvictsIdleKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newLimiter(10, 5, clock.now) // refills completely in 500ms
	for i := range 100 {
		ok, _ := l.allow(fmt.Sprint("k", i))
		require.True(t, ok)
	}
	require.Equal(t, 100, l.size())
	clock.advance(499 * time.Millisecond)
	l.allow("fresh")
	require.Equal(t, 101, l.size(), "not yet full again: kept")
	clock.advance(time.Millisecond)
	l.allow("fresh")
	require.Equal(t, 1, l.size(), "refilled buckets are dropped")
}

func TestLimiterCapsKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newLimiter(1, 1, clock.now)
	l.maxKeys = 3
	for _, k := range []string{"a", "b", "c"} {
		ok, _ := l.allow(k)
		require.True(t, ok)
	}
	ok, _ := l.allow("a") // a is now the most recently used, and empty
	require.False(t, ok)
	ok, _ = l.allow("d") // evicts b, the least recently used
	require.True(t, ok)
	require.Equal(t, 3, l.size())
	ok, _ = l.allow("a")
	require.False(t, ok, "a was kept")
	ok, _ = l.allow("b")
	require.True(t, ok, "b was evicted and starts full")
	require.Equal(t, 3, l.size())
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newLimiter(1, 50, clock.now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if ok, _ := l.allow("shared"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
				l.allow(fmt.Sprint(g, "-", i))
			}
		})
	}
	wg.Wait()
	require.Equal(t, 50, allowed, "exactly the burst, whatever the interleaving")
}

func TestNewLimiterPanicsOnBadConfig(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() { newLimiter(0, 1, nil) })
	require.Panics(t, func() { newLimiter(1, 0, nil) })
	require.NotPanics(t, func() { newLimiter(1, 1, nil).allow("x") })
}

func TestRateLimitMiddleware(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newLimiter(0.4, 1, clock.now) // one token every 2.5s
	h := rateLimit(l, remoteIP)(okHandler())
	do := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/auth/login", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, http.StatusOK, do("192.0.2.1:1000").Code)
	w := do("192.0.2.1:2000") // same IP, other port
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	require.Equal(t, "3", w.Header().Get("Retry-After"), "2.5s rounds up")
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	require.Contains(t, w.Body.String(), ProblemTypeBase+"rate-limited")
	require.Equal(t, http.StatusOK, do("192.0.2.2:1000").Code)
	clock.advance(2 * time.Second)
	w = do("192.0.2.1:1000")
	require.Equal(t, "1", w.Header().Get("Retry-After"), "0.5s rounds up to 1")
	clock.advance(500 * time.Millisecond)
	require.Equal(t, http.StatusOK, do("192.0.2.1:1000").Code)

	// An empty key is not limited.
	unlimited := rateLimit(l, func(*http.Request) string { return "" })(okHandler())
	for range 5 {
		w := httptest.NewRecorder()
		unlimited.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, http.StatusOK, w.Code)
	}
}
