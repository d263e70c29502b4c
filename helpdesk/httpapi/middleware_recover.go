package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverPanics turns a panic in next into a logged error with its stack
// and, when no header was written yet, a 500 internal problem. When the
// response had already started it aborts the connection instead
// (panic(http.ErrAbortHandler)), so the client never takes a truncated
// body for a complete one. A panic with http.ErrAbortHandler is re-panicked
// untouched: it is net/http's way to abort a response.
func recoverPanics(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := newStatusRecorder(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p)
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("panic", fmt.Sprint(p)),
					slog.String("stack", string(debug.Stack())),
					slog.String("method", r.Method),
					slog.String("path", truncate(r.URL.EscapedPath(), 200)),
					slog.String("request_id", requestIDFrom(r.Context())),
				)
				if rec.wroteHeader {
					panic(http.ErrAbortHandler)
				}
				writeProblem(w, r, problemFor(nil))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
