package httpapi

import (
	"net/http"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
)

// BlockedIP is an address the blocker refuses, as listed for the security
// audit.
type BlockedIP = loginguard.BlockedIP

// blocker is the address blocker of package loginguard, shared with the
// other sign-in edges when Config.LoginGuard is set.
type blocker struct {
	b   *loginguard.Blocker
	now func() time.Time
}

// newBlocker returns a blocker of its own (see loginguard.NewBlocker).
func newBlocker(threshold int, window, blockFor time.Duration, now func() time.Time) *blocker {
	if now == nil {
		now = time.Now
	}
	return &blocker{b: loginguard.NewBlocker(threshold, window, blockFor, now), now: now}
}

// strike records one strike against ip for reason.
func (b *blocker) strike(ip, reason string) { b.b.Strike(ip, reason) }

// blocked reports whether ip is blocked now, and until when.
func (b *blocker) blocked(ip string) (bool, time.Time) { return b.b.Blocked(ip) }

// unblock lifts any block on ip and forgets its strikes.
func (b *blocker) unblock(ip string) { b.b.Unblock(ip) }

// list returns the addresses blocked now, ordered by IP.
func (b *blocker) list() []BlockedIP { return b.b.List() }

// blockIPs refuses requests from blocked addresses (clientIP(r)) with 403
// blocked and Retry-After until the block ends. Handlers call b.strike on
// failed logins and forged tokens.
func blockIPs(b *blocker, clientIP func(*http.Request) string) func(http.Handler) http.Handler {
	if clientIP == nil {
		clientIP = remoteIP
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if blocked, until := b.blocked(clientIP(r)); blocked {
				writeError(w, r, &retryError{err: ErrBlocked, after: until.Sub(b.now())})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
