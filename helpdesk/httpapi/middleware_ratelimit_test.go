package httpapi

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
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

func TestRateLimitMiddleware(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := loginguard.NewLimiter(0.4, 1, clock.now) // one token every 2.5s
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
