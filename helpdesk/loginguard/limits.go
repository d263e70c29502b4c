package loginguard

import (
	"container/list"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultLimiterMaxKeys bounds the keys a limiter tracks when MaxKeys is
// not set.
const DefaultLimiterMaxKeys = 10_000

// Limiter is a token-bucket rate limiter keyed by string (client IP, API
// token ID, user). Each key has a bucket of burst tokens refilled at rate
// tokens per second; a request takes one token. Memory is bounded: a
// bucket idle long enough to be full again behaves exactly like a new one
// and is dropped, and when MaxKeys buckets are live the least recently used
// is evicted (which can only favour that key, never refuse another). It is
// safe for concurrent use.
type Limiter struct {
	rate    float64
	burst   float64
	now     func() time.Time
	fullIn  time.Duration // how long an empty bucket takes to fill
	MaxKeys int           // set after NewLimiter to change the default
	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	recent  *list.List               // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter allowing rate requests per second per key
// on average, with bursts of up to burst. now is the clock (time.Now when
// nil). It panics on a non-positive rate or burst: that is a wiring bug.
func NewLimiter(rate float64, burst int, now func() time.Time) *Limiter {
	if !(rate > 0) || math.IsInf(rate, 0) || burst < 1 {
		panic(fmt.Sprintf("loginguard: NewLimiter(%v, %d): rate must be a positive number of requests per second and burst at least 1", rate, burst))
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		rate:    rate,
		burst:   float64(burst),
		now:     now,
		fullIn:  time.Duration(float64(burst) / rate * float64(time.Second)),
		MaxKeys: DefaultLimiterMaxKeys,
		buckets: make(map[string]*list.Element),
		recent:  list.New(),
	}
}

// Allow takes a token from key's bucket. When none is left it reports
// false and how long until one will be.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()

	// Drop buckets that have refilled completely: the list is ordered by
	// last use, so they are at the back.
	for e := l.recent.Back(); e != nil; e = l.recent.Back() {
		b := e.Value.(*bucket)
		if now.Sub(b.last) < l.fullIn {
			break
		}
		l.remove(e)
	}

	e, found := l.buckets[key]
	if !found {
		for l.recent.Len() >= max(l.MaxKeys, 1) {
			l.remove(l.recent.Back())
		}
		e = l.recent.PushFront(&bucket{key: key, tokens: l.burst, last: now})
		l.buckets[key] = e
	}
	b := e.Value.(*bucket)
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	l.recent.MoveToFront(e)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / l.rate * float64(time.Second)))
	return false, max(wait, time.Nanosecond)
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).key)
	l.recent.Remove(e)
}

// Size reports how many keys the limiter tracks.
func (l *Limiter) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// DefaultBlockerMaxKeys bounds the addresses a blocker tracks when MaxKeys
// is not set.
const DefaultBlockerMaxKeys = 100_000

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

// Blocker blocks client addresses that collect too many strikes — failed
// logins, forged or invalid tokens — in a time window: threshold strikes
// within window block the address for blockFor. Memory is bounded (at most
// threshold strike times per address, at most MaxKeys addresses; idle
// entries are swept). It is safe for concurrent use.
type Blocker struct {
	threshold int
	window    time.Duration
	blockFor  time.Duration
	now       func() time.Time
	MaxKeys   int // set after NewBlocker to change the default

	mu      sync.Mutex
	entries map[string]*blockEntry
}

type blockEntry struct {
	strikes []time.Time // within window, oldest first, at most threshold
	until   time.Time   // blocked while now < until
	reason  string
	count   int // strikes behind the current block
}

// NewBlocker returns a blocker. now is the clock (time.Now when nil). It
// panics on a threshold below 1 or non-positive durations: a wiring bug.
func NewBlocker(threshold int, window, blockFor time.Duration, now func() time.Time) *Blocker {
	if threshold < 1 || window <= 0 || blockFor <= 0 {
		panic(fmt.Sprintf("loginguard: NewBlocker(%d, %v, %v): threshold must be at least 1 and window and blockFor positive", threshold, window, blockFor))
	}
	if now == nil {
		now = time.Now
	}
	return &Blocker{
		threshold: threshold, window: window, blockFor: blockFor, now: now,
		MaxKeys: DefaultBlockerMaxKeys, entries: make(map[string]*blockEntry),
	}
}

// idle reports whether e neither blocks nor holds a strike inside the
// window at now, so it can be forgotten.
func (b *Blocker) idle(e *blockEntry, now time.Time) bool {
	if now.Before(e.until) {
		return false
	}
	return len(e.strikes) == 0 || now.Sub(e.strikes[len(e.strikes)-1]) >= b.window
}

// Strike records one strike against ip for reason. The strike that
// reaches the threshold within the window blocks ip for blockFor; strikes
// while blocked are counted but do not extend the block.
func (b *Blocker) Strike(ip, reason string) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[ip]
	if e == nil {
		if len(b.entries) >= max(b.MaxKeys, 1) && !b.makeRoom(now) {
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
func (b *Blocker) makeRoom(now time.Time) bool {
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

// Blocked reports whether ip is blocked now, and until when.
func (b *Blocker) Blocked(ip string) (bool, time.Time) {
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

// Unblock lifts any block on ip and forgets its strikes.
func (b *Blocker) Unblock(ip string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, ip)
}

// List returns the addresses blocked now, ordered by IP.
func (b *Blocker) List() []BlockedIP {
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
