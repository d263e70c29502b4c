package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// statusRecorder wraps a ResponseWriter to remember the status and count
// the body bytes. Unwrap exposes the underlying writer, so
// http.ResponseController (Flush, SetWriteDeadline, Hijack…) keeps working
// through it; Flush is also implemented directly for code that type-asserts
// http.Flusher.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func newStatusRecorder(w http.ResponseWriter) *statusRecorder {
	return &statusRecorder{ResponseWriter: w}
}

// WriteHeader records the first final status (1xx informational responses
// other than 101 are passed through without being recorded).
func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
			s.ResponseWriter.WriteHeader(code)
			return
		}
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write counts the bytes written; a Write without WriteHeader means 200.
func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush flushes the underlying writer when it can; flushing sends the
// headers, so it means 200 when no status was written.
func (s *statusRecorder) Flush() {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logInfo is filled in by inner layers for the access log.
type logInfo struct {
	pattern string
	// logged is set by accessLog: its line reports the request's failure
	// (err), so that a failed request logs one line, not two.
	logged bool
	err    string
}

// capturePattern wraps the router (the *http.ServeMux), innermost, so the
// access log can report the matched route pattern
// ("GET /api/helpdesk/tickets/{id}"). ServeMux sets r.Pattern on the
// request it is given, which outer layers never see because every
// r.WithContext on the way in makes a new request; capturePattern copies
// it into the access log's context value. Without it the log shows the
// path.
// requestInfo returns the request's info slot, adding one (and returning
// the request that carries it) when no outer middleware did.
func requestInfo(r *http.Request) (*logInfo, *http.Request) {
	if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok {
		return info, r
	}
	info := &logInfo{}
	return info, r.WithContext(context.WithValue(r.Context(), logInfoKey, info))
}

func capturePattern(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok && r.Pattern != "" {
				info.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// accessLog logs one line per request on logger: method, route (the
// ServeMux pattern when the mux is wrapped in capturePattern, else the
// path), query with
// credential-like parameters redacted, status, bytes, duration_ms,
// remote_ip (from clientIP, or RemoteAddr when nil), request_id and
// user_agent. It never logs headers such as Authorization or Cookie, nor
// bodies. 5xx responses and aborted requests log at Error, others at Info.
// The error a handler failed with (api.fail) is added as "error".
// A panic passing through is logged as aborted and continues unwinding.
func accessLog(logger *slog.Logger, clientIP func(*http.Request) string) func(http.Handler) http.Handler {
	if clientIP == nil {
		clientIP = remoteIP
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			info, r := requestInfo(r)
			info.logged = true
			rec := newStatusRecorder(w)
			completed := false
			defer func() {
				route := info.pattern
				if route == "" {
					route = truncate(r.URL.EscapedPath(), 200)
				}
				status := rec.status
				if !rec.wroteHeader {
					status = http.StatusOK
					if !completed {
						status = http.StatusInternalServerError
					}
				}
				id := requestIDFrom(r.Context())
				if id == "" { // requestID runs inside this middleware
					id = rec.Header().Get("X-Request-ID")
				}
				level := slog.LevelInfo
				if status >= 500 || !completed {
					level = slog.LevelError
				}
				ctx := context.WithoutCancel(r.Context())
				if !logger.Enabled(ctx, level) {
					return
				}
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("remote_ip", clientIP(r)),
					slog.String("request_id", id),
					slog.String("user_agent", truncate(r.UserAgent(), 256)),
				}
				if r.URL.RawQuery != "" {
					attrs = append(attrs, slog.String("query", redactQuery(r.URL.RawQuery)))
				}
				if info.err != "" {
					attrs = append(attrs, slog.String("error", info.err))
				}
				if !completed {
					attrs = append(attrs, slog.Bool("aborted", true))
				}
				logger.LogAttrs(ctx, level, "http request", attrs...)
			}()
			next.ServeHTTP(rec, r)
			completed = true
		})
	}
}

// redactQuery returns the query with the values of credential-like
// parameters replaced by REDACTED, truncated to 512 bytes.
func redactQuery(raw string) string {
	// Substrings of parameter names whose values are never logged.
	sensitive := [...]string{"token", "password", "passwd", "secret", "key", "auth", "sig", "code", "session", "jwt", "cookie", "credential", "otp"}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "[unparseable]"
	}
	for name, vals := range q {
		lower := strings.ToLower(name)
		for _, s := range sensitive {
			if strings.Contains(lower, s) {
				for i := range vals {
					vals[i] = "REDACTED"
				}
				break
			}
		}
	}
	return truncate(q.Encode(), 512)
}
