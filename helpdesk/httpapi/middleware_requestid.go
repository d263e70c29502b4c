package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// ctxKey keys the values this package stores in a request context.
type ctxKey int

const (
	requestIDKey ctxKey = iota
	logInfoKey
)

// maxRequestIDLen is the longest incoming X-Request-ID accepted.
const maxRequestIDLen = 128

// requestIDFrom returns the request ID stored by the requestID middleware,
// or "" when there is none.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// withRequestID returns ctx carrying id; requestIDFrom reads it back.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// requestID gives every request an ID: a sane incoming X-Request-ID (at
// most 128 characters of A–Z a–z 0–9 . _ -) when acceptIncoming is true,
// otherwise 16 random bytes in hex. The ID is echoed in the X-Request-ID
// response header and stored in the context (requestIDFrom). An incoming
// ID that is not sane is replaced, never echoed. Place it outermost, so the
// access log and every problem carry the ID.
func requestID(acceptIncoming bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-ID")
			if !acceptIncoming || !saneRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set("X-Request-ID", id)
			next.ServeHTTP(w, r.WithContext(withRequestID(r.Context(), id)))
		})
	}
}

// saneRequestID reports whether id is 1–128 characters of [A-Za-z0-9._-].
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex (32 characters).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
