package httpapi

import (
	"net/http"

	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
)

// rateLimit limits requests by key(r) with l, answering 429 rate-limited
// with Retry-After (whole seconds, rounded up) when the bucket is empty. A
// request whose key is "" is not limited.
func rateLimit(l *loginguard.Limiter, key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if k := key(r); k != "" {
				if ok, wait := l.Allow(k); !ok {
					writeError(w, r, &retryError{err: ErrRateLimited, after: wait})
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
