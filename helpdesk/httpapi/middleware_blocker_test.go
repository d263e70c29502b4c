package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBlockIPsMiddleware(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := newBlocker(1, time.Minute, 90*time.Second+500*time.Millisecond, clock.now)
	h := blockIPs(b, remoteIP)(okHandler())
	do := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/helpdesk/tickets", nil)
		r.RemoteAddr = "192.0.2.50:4444"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, http.StatusOK, do().Code)
	b.strike("192.0.2.50", "forged token")
	w := do()
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, "91", w.Header().Get("Retry-After"))
	require.Contains(t, w.Body.String(), ProblemTypeBase+"blocked")
	require.Contains(t, w.Body.String(), "temporarily blocked")
	clock.advance(91 * time.Second)
	require.Equal(t, http.StatusOK, do().Code)
}
