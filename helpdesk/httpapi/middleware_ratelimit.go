package httpapi

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"
)

// defaultLimiterMaxKeys bounds the keys a limiter tracks when maxKeys is
// not set.
const defaultLimiterMaxKeys = 10_000

// limiter is a token-bucket rate limiter keyed by string (client IP, API
// token ID, user). Each key has a bucket of burst tokens refilled at rate
// tokens per second; a request takes one token. Memory is bounded: a
// bucket idle long enough to be full again behaves exactly like a new one
// and is dropped, and when maxKeys buckets are live the least recently used
// is evicted (which can only favour that key, never refuse another). It is
// safe for concurrent use.
type limiter struct {
	rate    float64
	burst   float64
	now     func() time.Time
	fullIn  time.Duration // how long an empty bucket takes to fill
	maxKeys int           // set after newLimiter to change the default
	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	recent  *list.List               // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter allowing rate requests per second per key
// on average, with bursts of up to burst. now is the clock (time.Now when
// nil). It panics on a non-positive rate or burst: that is a wiring bug.
func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	if !(rate > 0) || math.IsInf(rate, 0) || burst < 1 {
		panic(fmt.Sprintf("httpapi: newLimiter(%v, %d): rate must be a positive number of requests per second and burst at least 1", rate, burst))
	}
	if now == nil {
		now = time.Now
	}
	return &limiter{
		rate:    rate,
		burst:   float64(burst),
		now:     now,
		fullIn:  time.Duration(float64(burst) / rate * float64(time.Second)),
		maxKeys: defaultLimiterMaxKeys,
		buckets: make(map[string]*list.Element),
		recent:  list.New(),
	}
}

// allow takes a token from key's bucket. When none is left it reports
// false and how long until one will be.
func (l *limiter) allow(key string) (ok bool, retryAfter time.Duration) {
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
		for l.recent.Len() >= max(l.maxKeys, 1) {
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

func (l *limiter) remove(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).key)
	l.recent.Remove(e)
}

// size reports how many keys the limiter tracks.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

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
