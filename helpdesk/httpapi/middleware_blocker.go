package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// defaultBlockerMaxKeys bounds the addresses a blocker tracks when maxKeys
// is not set.
const defaultBlockerMaxKeys = 100_000

// BlockedIP is an address the blocker refuses, as listed for the security
// audit.
type BlockedIP struct {
	// IP is the client address.
	IP string `json:"ip"`
	// Until is when the block ends.
	Until time.Time `json:"until"`
	// Reason is the reason given with the strike that triggered the block
	// (or the latest strike since), such as "failed login".
	Reason string `json:"reason"`
	// Strikes counts the strikes that led to the block, plus those
	// recorded while blocked.
	Strikes int `json:"strikes"`
}

// blocker blocks client addresses that collect too many strikes — failed
// logins, forged or invalid tokens — in a time window: threshold strikes
// within window block the address for blockFor. Memory is bounded (at most
// threshold strike times per address, at most maxKeys addresses; idle
// entries are swept). It is safe for concurrent use.
type blocker struct {
	threshold int
	window    time.Duration
	blockFor  time.Duration
	now       func() time.Time
	maxKeys   int // set after newBlocker to change the default

	mu      sync.Mutex
	entries map[string]*blockEntry
}

type blockEntry struct {
	strikes []time.Time // within window, oldest first, at most threshold
	until   time.Time   // blocked while now < until
	reason  string
	count   int // strikes behind the current block
}

// newBlocker returns a blocker. now is the clock (time.Now when nil). It
// panics on a threshold below 1 or non-positive durations: a wiring bug.
func newBlocker(threshold int, window, blockFor time.Duration, now func() time.Time) *blocker {
	if threshold < 1 || window <= 0 || blockFor <= 0 {
		panic(fmt.Sprintf("httpapi: newBlocker(%d, %v, %v): threshold must be at least 1 and window and blockFor positive", threshold, window, blockFor))
	}
	if now == nil {
		now = time.Now
	}
	return &blocker{
		threshold: threshold, window: window, blockFor: blockFor, now: now,
		maxKeys: defaultBlockerMaxKeys, entries: make(map[string]*blockEntry),
	}
}

// idle reports whether e neither blocks nor holds a strike inside the
// window at now, so it can be forgotten.
func (b *blocker) idle(e *blockEntry, now time.Time) bool {
	if now.Before(e.until) {
		return false
	}
	return len(e.strikes) == 0 || now.Sub(e.strikes[len(e.strikes)-1]) >= b.window
}

// strike records one strike against ip for reason. The strike that
// reaches the threshold within the window blocks ip for blockFor; strikes
// while blocked are counted but do not extend the block.
func (b *blocker) strike(ip, reason string) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[ip]
	if e == nil {
		if len(b.entries) >= max(b.maxKeys, 1) && !b.makeRoom(now) {
			return // every tracked address is blocked: keep them, drop this strike
		}
		e = &blockEntry{}
		b.entries[ip] = e
	}
	if now.Before(e.until) {
		e.count++
		e.reason = reason
		return
	}
	// Forget strikes that left the window.
	i := 0
	for i < len(e.strikes) && now.Sub(e.strikes[i]) >= b.window {
		i++
	}
	e.strikes = append(e.strikes[:0], e.strikes[i:]...)
	e.strikes = append(e.strikes, now)
	e.reason = reason
	if len(e.strikes) >= b.threshold {
		e.until = now.Add(b.blockFor)
		e.count = len(e.strikes)
		e.strikes = e.strikes[:0]
	}
}

// makeRoom frees at least one entry: idle ones first, else one that is not
// blocked. It reports false when every entry is blocked.
func (b *blocker) makeRoom(now time.Time) bool {
	freed := false
	var victim string
	for ip, e := range b.entries {
		if b.idle(e, now) {
			delete(b.entries, ip)
			freed = true
		} else if victim == "" && !now.Before(e.until) {
			victim = ip
		}
	}
	if !freed && victim != "" {
		delete(b.entries, victim)
		freed = true
	}
	return freed
}

// blocked reports whether ip is blocked now, and until when.
func (b *blocker) blocked(ip string) (bool, time.Time) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[ip]
	if e == nil {
		return false, time.Time{}
	}
	if now.Before(e.until) {
		return true, e.until
	}
	if b.idle(e, now) {
		delete(b.entries, ip)
	}
	return false, time.Time{}
}

// unblock lifts any block on ip and forgets its strikes.
func (b *blocker) unblock(ip string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, ip)
}

// list returns the addresses blocked now, ordered by IP.
func (b *blocker) list() []BlockedIP {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []BlockedIP{}
	for ip, e := range b.entries {
		if now.Before(e.until) {
			out = append(out, BlockedIP{IP: ip, Until: e.until, Reason: e.reason, Strikes: e.count})
		}
	}
	slices.SortFunc(out, func(x, y BlockedIP) int { return strings.Compare(x.IP, y.IP) })
	return out
}

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
