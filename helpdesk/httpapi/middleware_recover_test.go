package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	t.Run("before headers: 500 problem and logged stack", func(t *testing.T) {
		t.Parallel()
		logger, buf := newTestLogger()
		h := chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v9"`)
			panic("nil map write in handler")
		}), requestID(true), recoverPanics(logger))
		r := httptest.NewRequest(http.MethodGet, "/api/x?token=secret", nil)
		r.Header.Set("X-Request-ID", "req-7")
		w := httptest.NewRecorder()
		require.NotPanics(t, func() { h.ServeHTTP(w, r) })
		require.Equal(t, http.StatusInternalServerError, w.Code)
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
		require.Empty(t, w.Header().Get("ETag"))
		var p Problem
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
		require.Equal(t, ProblemTypeBase+"internal", p.Type)
		require.Equal(t, "req-7", p.RequestID)
		require.NotContains(t, w.Body.String(), "nil map")

		lines := buf.lines(t)
		require.Len(t, lines, 1)
		require.Equal(t, "panic serving request", lines[0]["msg"])
		require.Equal(t, "nil map write in handler", lines[0]["panic"])
		require.Contains(t, lines[0]["stack"], "TestRecoverPanics")
		require.Equal(t, "req-7", lines[0]["request_id"])
		require.Equal(t, "/api/x", lines[0]["path"])
		require.NotContains(t, buf.String(), "secret")
	})
	t.Run("after headers: abort the response", func(t *testing.T) {
		t.Parallel()
		logger, buf := newTestLogger()
		h := recoverPanics(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"items":[`))
			panic("half way")
		}))
		w := httptest.NewRecorder()
		require.PanicsWithValue(t, http.ErrAbortHandler, func() { h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil)) })
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, `{"items":[`, w.Body.String())
		require.Len(t, buf.lines(t), 1)
	})
	t.Run("ErrAbortHandler passes through unlogged", func(t *testing.T) {
		t.Parallel()
		logger, buf := newTestLogger()
		h := recoverPanics(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		}))
		require.PanicsWithValue(t, http.ErrAbortHandler, func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		})
		require.Empty(t, buf.String())
	})
	t.Run("no panic", func(t *testing.T) {
		t.Parallel()
		logger, buf := newTestLogger()
		w := httptest.NewRecorder()
		recoverPanics(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, http.StatusNoContent, w.Code)
		require.Empty(t, buf.String())
	})
}

func TestRecoverInsideAccessLogOverRealServer(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger()
	h := chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }),
		requestID(true), accessLog(logger, nil), recoverPanics(logger))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	res, err := srv.Client().Get(srv.URL + "/boom")
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	require.Equal(t, http.StatusInternalServerError, res.StatusCode)
	require.NotEmpty(t, res.Header.Get("X-Request-ID"))
	require.Eventually(t, func() bool { return len(buf.lines(t)) == 2 }, time.Second, 10*time.Millisecond)
	access := buf.lines(t)[1]
	require.Equal(t, "http request", access["msg"])
	require.Equal(t, float64(500), access["status"])
	require.Equal(t, res.Header.Get("X-Request-ID"), access["request_id"])
}
