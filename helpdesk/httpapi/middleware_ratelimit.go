package httpapi

import (
	"net/http"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
)

// limiter is the token-bucket limiter of package loginguard, shared with
// the other sign-in edges when Config.LoginGuard is set.
type limiter struct{ l *loginguard.Limiter }

// newLimiter returns a limiter allowing rate requests per second per key
// on average, with bursts of up to burst (see loginguard.NewLimiter).
func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{loginguard.NewLimiter(rate, burst, now)}
}

// allow takes a token from key's bucket. When none is left it reports
// false and how long until one will be.
func (l *limiter) allow(key string) (bool, time.Duration) { return l.l.Allow(key) }

// rateLimit limits requests by key(r) with l, answering 429 rate-limited
// with Retry-After (whole seconds, rounded up) when the bucket is empty. A
// request whose key is "" is not limited.
func rateLimit(l *limiter, key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if k := key(r); k != "" {
				if ok, wait := l.allow(k); !ok {
					writeError(w, r, &retryError{err: ErrRateLimited, after: wait})
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
