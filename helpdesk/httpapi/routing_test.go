package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// TestMethodNotAllowed: a wrong method on a path that exists is 405 with
// the Allow header, in problem+json, before authentication; a path that
// does not exist stays 404.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{})
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", "/api/helpdesk/tickets", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"DELETE", "/health", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"POST", "/auth/me", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"GET", "/auth/login", http.StatusMethodNotAllowed, "POST"},
		{"PATCH", "/api/helpdesk/tickets/1", http.StatusMethodNotAllowed, "GET, HEAD, PUT"},
		{"DELETE", "/api/helpdesk/service-orders/1", http.StatusMethodNotAllowed, "GET, HEAD, PUT"},
		{"OPTIONS", "/api/helpdesk/assets", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"GET", "/api/helpdesk/nothing-here", http.StatusNotFound, ""},
		{"DELETE", "/nothing/here", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, nil, "Authorization", e.root)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			p := r.Problem(t)
			require.Equal(t, tc.allow, r.Header.Get("Allow"))
			if tc.status == http.StatusMethodNotAllowed {
				require.Equal(t, httpapi.ProblemTypeBase+"method-not-allowed", p.Type)
				require.Contains(t, p.Detail, tc.allow)
			} else {
				require.Equal(t, httpapi.ProblemTypeBase+"not-found", p.Type)
			}
		})
	}
	// Without credentials too: the method is refused before anything else.
	r := e.do("PUT", "/api/helpdesk/tickets", nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.Status, "%s", r.Body)
}

// TestNonCanonicalPathRedirect: a path ServeMux would redirect to its
// canonical form gets the same 301 and Location, with a problem+json body,
// and is not served.
func TestNonCanonicalPathRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{
		"/api//helpdesk/tickets?limit=5":   "/api/helpdesk/tickets?limit=5",
		"/api/helpdesk/tickets/../tickets": "/api/helpdesk/tickets",
		"/admin/api/./contacts/":           "/admin/api/contacts/",
	} {
		req, err := http.NewRequestWithContext(t.Context(), "DELETE", e.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.root)
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusMovedPermanently, resp.StatusCode, "%s: %s", path, body)
		require.Equal(t, want, resp.Header.Get("Location"), path)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		var p struct {
			Type     string `json:"type"`
			Status   int    `json:"status"`
			Location string `json:"location"`
		}
		require.NoError(t, json.Unmarshal(body, &p), "%s", body)
		require.Equal(t, httpapi.ProblemTypeBase+"non-canonical-path", p.Type)
		require.Equal(t, http.StatusMovedPermanently, p.Status)
		require.Equal(t, want, p.Location)
	}
}
