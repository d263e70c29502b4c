package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes every JSON log line.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func newTestLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	const (
		bearer = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl"
		cookie = "session=cookie-secret-value"
		qtoken = "query-token-secret"
		body   = `{"password":"body-secret-value"}`
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("hello"))
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("a"))
		require.NoError(t, http.NewResponseController(w).Flush())
		w.(http.Flusher).Flush()
	})
	tests := []struct {
		name   string
		method string
		target string
		route  string
		status int
		bytes  float64
		level  string
		query  string
	}{
		{name: "matched route", method: http.MethodPost, target: "/api/items/42?access_token=" + qtoken + "&page=2", route: "POST /api/items/{id}", status: 201, bytes: 5, level: "INFO",
			query: "access_token=REDACTED&page=2"},
		{name: "unmatched falls back to path", method: http.MethodGet, target: "/nowhere?password=" + qtoken, route: "/nowhere", status: 404, bytes: 19, level: "INFO", query: "password=REDACTED"},
		{name: "flush through recorder", method: http.MethodGet, target: "/stream", route: "GET /stream", status: 200, bytes: 1, level: "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, buf := newTestLogger()
			// requestID sits between the log and the mux and replaces the
			// request: capturePattern still gets the route to the log.
			h := chain(capturePattern(mux), accessLog(logger, nil), requestID(true))
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+bearer)
			r.Header.Set("Cookie", cookie)
			r.Header.Set("User-Agent", "boladao-test/1.0")
			r.Header.Set("X-Request-ID", "req-42")
			r.RemoteAddr = "203.0.113.9:51234"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tt.status, w.Code)

			out := buf.String()
			for _, secret := range []string{bearer, "c2VjcmV0LXBheWxvYWQ", "cookie-secret-value", qtoken, "body-secret-value"} {
				require.NotContains(t, out, secret)
			}
			lines := buf.lines(t)
			require.Len(t, lines, 1)
			l := lines[0]
			require.Equal(t, "http request", l["msg"])
			require.Equal(t, tt.level, l["level"])
			require.Equal(t, tt.method, l["method"])
			require.Equal(t, tt.route, l["route"])
			require.Equal(t, float64(tt.status), l["status"])
			require.Equal(t, tt.bytes, l["bytes"])
			require.Equal(t, "203.0.113.9", l["remote_ip"])
			require.Equal(t, "req-42", l["request_id"])
			require.Equal(t, "boladao-test/1.0", l["user_agent"])
			require.Contains(t, l, "duration_ms")
			if tt.query == "" {
				require.NotContains(t, l, "query")
			} else {
				require.Equal(t, tt.query, l["query"])
			}
		})
	}
}

func TestAccessLogRouteWithoutCapture(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {})
	// Without capturePattern the log falls back to the path.
	accessLog(logger, func(*http.Request) string { return "198.51.100.1" })(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health", nil))
	l := buf.lines(t)[0]
	require.Equal(t, "/health", l["route"])
	require.Equal(t, float64(200), l["status"])
	require.Equal(t, "198.51.100.1", l["remote_ip"])
}

func TestAccessLogServerErrorsAndPanics(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger()
	h := accessLog(logger, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		writeError(w, r, assertError("db down"))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/fail", nil))
	require.PanicsWithValue(t, "boom", func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/panic", nil))
	})
	lines := buf.lines(t)
	require.Len(t, lines, 2)
	require.Equal(t, "ERROR", lines[0]["level"])
	require.Equal(t, float64(500), lines[0]["status"])
	require.NotContains(t, lines[0], "aborted")
	require.Equal(t, "ERROR", lines[1]["level"])
	require.Equal(t, true, lines[1]["aborted"])
}

type assertError string

func (e assertError) Error() string { return string(e) }

func TestStatusRecorder(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	rec := newStatusRecorder(w)
	rec.WriteHeader(http.StatusAccepted)
	rec.WriteHeader(http.StatusTeapot) // superfluous: ignored by the recorder
	n, err := rec.Write([]byte("abc"))
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, http.StatusAccepted, rec.status)
	require.Equal(t, int64(3), rec.bytes)
	require.Same(t, w, rec.Unwrap())
	require.NoError(t, http.NewResponseController(rec).Flush())
	require.True(t, w.Flushed)
}

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"page=2&limit=10":                 "limit=10&page=2",
		"token=abc":                       "token=REDACTED",
		"API_KEY=abc&x=1":                 "API_KEY=REDACTED&x=1",
		"refresh_token=a&refresh_token=b": "refresh_token=REDACTED&refresh_token=REDACTED",
		"signature=s&code=c&state=ok":     "code=REDACTED&signature=REDACTED&state=ok",
		"a=%zz":                           "[unparseable]",
	}
	for in, want := range tests {
		require.Equal(t, want, redactQuery(in), in)
	}
}

// headerCounter records the statuses written to it.
type headerCounter struct {
	http.ResponseWriter
	codes []int
}

func (h *headerCounter) WriteHeader(code int) { h.codes = append(h.codes, code) }

func TestStatusRecorderInformational(t *testing.T) {
	t.Parallel()
	under := &headerCounter{ResponseWriter: httptest.NewRecorder()}
	rec := newStatusRecorder(under)
	rec.WriteHeader(http.StatusEarlyHints)
	require.False(t, rec.wroteHeader, "1xx is not the final status")
	rec.WriteHeader(http.StatusOK)
	require.True(t, rec.wroteHeader)
	require.Equal(t, http.StatusOK, rec.status)
	require.Equal(t, []int{http.StatusEarlyHints, http.StatusOK}, under.codes)
}
